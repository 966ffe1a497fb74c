/**
 * Tells a crash from a stop. `docker stop` and `docker kill` emit `kill` (and `stop`) before the
 * `die`; a crash emits `die` alone. The doctor's own restarts emit the same sequence, so they are
 * registered here first and their events are not mistaken for a person's.
 */
export class StopTracker {
  private readonly stops = new Map<string, number>();
  private readonly ownRestarts = new Map<string, number>();

  constructor(
    /** How long after a kill/stop a die still counts as caused by it. */
    private readonly windowMs = 30_000,
  ) {}

  /** The doctor is about to restart this container: its kill/die/start events are ours. */
  beginOwnRestart(id: string, nowMs: number): void {
    this.ownRestarts.set(id, Number.POSITIVE_INFINITY);
    this.stops.delete(id);
    void nowMs;
  }

  /** The restart call returned; events stamped up to a little later are still ours. */
  endOwnRestart(id: string, nowMs: number): void {
    this.ownRestarts.set(id, nowMs + 3_000);
  }

  /** True while events for this container are the echo of the doctor's own restart. */
  isOwnRestart(id: string, eventMs: number): boolean {
    const until = this.ownRestarts.get(id);
    if (until === undefined) return false;
    if (eventMs <= until) return true;
    this.ownRestarts.delete(id);
    return false;
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
