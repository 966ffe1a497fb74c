/**
 * Quiet hours: alerts below QUIET_MIN_SEVERITY that the people gate held back are sent when the
 * quiet hours end, together (each channel's queue paces them and folds a burst into its digest).
 * Actions are not affected, and the audit log recorded each incident when it happened.
 *
 * Held alerts live in memory: a doctor restarted during quiet hours sends what it held before it
 * stopped at shutdown (flushNow), so nothing is dropped silently.
 */
import type { AuditRecord } from '../core/types.js';
import type { IncidentSubscriber } from './incident-bus.js';
import type { Clock, Notifier } from './ports.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export class QuietAlerts {
  private held: AuditRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private until = 0;

  constructor(private readonly notifiers: readonly Notifier[], private readonly clock: Clock) {}

  /** How many alerts wait for the end of quiet hours (shown on /health). */
  get waiting(): number {
    return this.held.length;
  }

  subscriber(): IncidentSubscriber {
    return (event) => {
      if (event.type !== 'recorded' || event.gate?.alertAfter === undefined || event.gate.silenced !== undefined) return;
      this.held.push(event.record);
      this.schedule(event.gate.alertAfter);
    };
  }

  /** Sends whatever is held now (the quiet hours ended, or the doctor is stopping). */
  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const records = this.held;
    this.held = [];
    for (const record of records) for (const n of this.notifiers) n.incident(record);
  }

  private schedule(at: number): void {
    if (this.timer && at <= this.until) return;
    if (this.timer) clearTimeout(this.timer);
    this.until = at;
    const wait = Math.min(Math.max(0, at - this.clock.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.flushNow(), wait);
    this.timer.unref?.();
  }
}
