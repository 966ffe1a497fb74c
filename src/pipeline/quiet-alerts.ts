/**
 * Quiet hours: alerts below QUIET_MIN_SEVERITY that the people gate held back are sent when the
 * quiet hours end, together (each channel's queue paces them and folds a burst into its digest).
 * Actions are not affected, and the audit log recorded each incident when it happened.
 *
 * What is held is kept in STATE_DIR (HeldAlertsStore) as soon as it is held: a doctor stopped,
 * killed or restarted during quiet hours neither drops the alerts nor sends them early; the next
 * `doctor watch` sends them when the quiet hours (as configured then) are over, or at once when
 * they already are.
 */
import type { AuditRecord } from '../core/types.js';
import type { FeedListener } from './feed.js';
import type { IncidentSubscriber } from './incident-bus.js';
import type { Clock, Notifier } from './ports.js';

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Held alerts beyond this many: the oldest are dropped (each is in the audit log) and the count is sent with the rest. */
export const MAX_HELD_ALERTS = 500;

/** Where held alerts are kept between doctors. */
export interface HeldAlertsLedger {
  readonly loaded: readonly AuditRecord[];
  save(records: readonly AuditRecord[]): Promise<void>;
  settled(): Promise<void>;
}

export interface QuietAlertsDeps {
  readonly notifiers: readonly Notifier[];
  readonly clock: Clock;
  readonly ledger: HeldAlertsLedger;
  /** When the quiet hours in force at `now` end; undefined when none are. */
  readonly quietUntil: (now: number) => number | undefined;
  readonly feed: FeedListener;
}

export class QuietAlerts {
  private held: AuditRecord[];
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private until = 0;

  constructor(private readonly deps: QuietAlertsDeps) {
    this.held = [...deps.ledger.loaded];
  }

  /** How many alerts wait for the end of quiet hours. */
  get waiting(): number {
    return this.held.length;
  }

  /** Schedules what an earlier doctor held: at the end of the quiet hours in force now, or at once. */
  resume(): void {
    if (this.held.length === 0) return;
    const until = this.deps.quietUntil(this.deps.clock.now());
    if (until === undefined) this.flushNow();
    else this.schedule(until);
  }

  subscriber(): IncidentSubscriber {
    return (event) => {
      if (event.type !== 'recorded' || event.gate?.alertAfter === undefined || event.gate.silenced !== undefined) return;
      this.held.push(event.record);
      if (this.held.length > MAX_HELD_ALERTS) {
        this.dropped += this.held.length - MAX_HELD_ALERTS;
        this.held = this.held.slice(-MAX_HELD_ALERTS);
      }
      this.persist();
      this.schedule(event.gate.alertAfter);
    };
  }

  /** Sends whatever is held now (the quiet hours ended) and empties the file. */
  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const records = this.held;
    const dropped = this.dropped;
    this.held = [];
    this.dropped = 0;
    if (dropped > 0) {
      const text = `${dropped} older alert${dropped === 1 ? ' was' : 's were'} held back by quiet hours beyond the ${MAX_HELD_ALERTS} kept; each is in the audit log (\`doctor report\`, \`doctor history\`).`;
      for (const n of this.deps.notifiers) n.notice?.('Quiet hours: more alerts than were kept', text);
    }
    for (const record of records) for (const n of this.deps.notifiers) n.incident(record);
    if (records.length > 0) this.persist();
  }

  /** Stops the timer; what is held stays in the file for the next doctor. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.deps.ledger.settled();
  }

  private persist(): void {
    // The audit log has every record; a failed write is on /health and in the feed, and what is held stays in memory.
    this.deps.ledger.save(this.held).catch((error: unknown) => this.deps.feed({ type: 'warning', message: `held alerts not saved: ${(error as Error).message}` }));
  }

  private schedule(at: number): void {
    if (this.timer && at <= this.until) return;
    if (this.timer) clearTimeout(this.timer);
    this.until = at;
    const wait = Math.min(Math.max(0, at - this.deps.clock.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.flushNow(), wait);
    this.timer.unref?.();
  }
}
