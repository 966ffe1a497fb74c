/**
 * REPORT_SCHEDULE: at each scheduled moment, the report of the past week (or day) goes to every
 * channel that takes notices. Missed moments (the doctor was down) are not caught up: the next
 * digest covers the same window anyway.
 */
import { describeError } from '../core/errors.js';
import { digestWindowMs, nextReportAt, type ReportSchedule } from '../core/report/report-schedule.js';
import type { Clock, Notifier } from './ports.js';

export interface ReportDigestDeps {
  readonly schedule: ReportSchedule;
  readonly clock: Clock;
  readonly notifiers: readonly Notifier[];
  /** Builds the digest for the window [fromMs, toMs] (reads the audit log and the stories). */
  compose(fromMs: number, toMs: number): Promise<{ title: string; markdown: string }>;
  onSent(at: number, channels: number): void;
  onError(message: string): void;
  /** Waits until the time or the signal, whichever is first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Sends one digest now; returns how many channels it was handed to. */
export async function sendReportDigest(deps: ReportDigestDeps, now: number): Promise<number> {
  const { title, markdown } = await deps.compose(now - digestWindowMs(deps.schedule), now);
  let handed = 0;
  for (const n of deps.notifiers) {
    if (!n.notice) continue;
    try {
      n.notice(title, markdown);
      handed += 1;
    } catch (error) {
      deps.onError(`report digest: a channel failed: ${describeError(error)}`);
    }
  }
  return handed;
}

/** Runs until `signal` aborts: sleeps to each scheduled moment, then sends. */
export async function runReportDigests(deps: ReportDigestDeps, signal: AbortSignal): Promise<void> {
  let after = deps.clock.now();
  while (!signal.aborted) {
    const at = nextReportAt(deps.schedule, after);
    // Long sleeps in steps, so a clock change (suspend, NTP) cannot push a digest out by days.
    while (!signal.aborted && deps.clock.now() < at) await deps.sleep(Math.min(at - deps.clock.now(), 60_000), signal);
    if (signal.aborted) return;
    try {
      deps.onSent(at, await sendReportDigest(deps, deps.clock.now()));
    } catch (error) {
      deps.onError(`report digest not sent: ${describeError(error)}`);
    }
    after = at;
  }
}
