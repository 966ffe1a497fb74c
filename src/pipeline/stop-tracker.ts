/**
 * Tells a crash from a stop. `docker stop` and `docker kill` emit `kill` (and `stop`) before the
 * `die`; a crash emits `die` alone. The doctor's own restarts emit the same sequence, so they are
 * registered here first and their events are not mistaken for a person's.
 */
export class StopTracker {
  private readonly stops = new Map<string, number>();
  private readonly ownRestarts = new Map<string, { since: number; until: number; dies: number }>();

  constructor(
    /** How long after a kill/stop a die still counts as caused by it. */
    private readonly windowMs = 30_000,
  ) {}

  /**
   * The doctor is about to restart this container: its kill/stop events are ours, and so is the
   * one `die` of a container that was running (restarting an exited container emits no die).
   */
  beginOwnRestart(id: string, nowMs: number, expectedDies = 1): void {
    this.ownRestarts.set(id, { since: nowMs, until: Number.POSITIVE_INFINITY, dies: expectedDies });
    this.stops.delete(id);
  }

  /** The restart call returned; events stamped up to a little later are still ours. */
  endOwnRestart(id: string, nowMs: number): void {
    const own = this.ownRestarts.get(id);
    if (own) own.until = nowMs + 3_000;
  }

  /** True while events for this container are the echo of the doctor's own restart. */
  isOwnRestart(id: string, eventMs: number): boolean {
    const own = this.ownRestarts.get(id);
    if (own === undefined) return false;
    if (eventMs >= own.since - 1_000 && eventMs <= own.until) return true;
    if (eventMs > own.until) this.ownRestarts.delete(id);
    return false;
  }

  /**
   * Whether this `die` is the one the doctor's restart caused. Only as many dies as the restart
   * can cause are swallowed: a crash right after the restart is still a crash.
   */
  consumeOwnRestartDie(id: string, eventMs: number): boolean {
    if (!this.isOwnRestart(id, eventMs)) return false;
    const own = this.ownRestarts.get(id)!;
    if (own.dies <= 0) return false;
    own.dies -= 1;
    return true;
  }

  noteStop(id: string, eventMs: number): void {
    if (this.isOwnRestart(id, eventMs)) return;
    this.stops.set(id, eventMs);
  }

  /** A start clears the memory of the last stop: the next die stands on its own. */
  noteStart(id: string): void {
    this.stops.delete(id);
  }

  wasStoppedByUser(id: string, dieMs: number): boolean {
    const at = this.stops.get(id);
    return at !== undefined && dieMs >= at - 1_000 && dieMs - at <= this.windowMs;
  }

  forget(id: string): void {
    this.stops.delete(id);
    this.ownRestarts.delete(id);
  }
}
