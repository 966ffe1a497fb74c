/**
 * REPORT_SCHEDULE: when the weekly digest goes out, as `mon 09:00` (a weekday and a time) or
 * `daily 09:00`, in the doctor's local time zone (TZ). Pure: local time comes from `Date`, which
 * follows TZ.
 */

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface ReportSchedule {
  /** 0 = Sunday ... 6 = Saturday; null every day. */
  readonly weekday: number | null;
  readonly hour: number;
  readonly minute: number;
  /** As configured, for messages. */
  readonly text: string;
}

export type ScheduleParse = { readonly ok: true; readonly schedule: ReportSchedule } | { readonly ok: false; readonly message: string };

export function parseReportSchedule(text: string): ScheduleParse {
  const m = /^\s*([a-z]+)\s+(\d{1,2}):(\d{2})\s*$/i.exec(text);
  const fail = { ok: false as const, message: `REPORT_SCHEDULE ${JSON.stringify(text)} must be a weekday (mon..sun) or "daily" and a time, like "mon 09:00"` };
  if (!m) return fail;
  const day = m[1]!.toLowerCase().slice(0, 3);
  const weekday = m[1]!.toLowerCase() === 'daily' ? null : DAYS.indexOf(day as (typeof DAYS)[number]);
  const hour = Number(m[2]);
  const minute = Number(m[3]);
  if (weekday === -1 || hour > 23 || minute > 59) return fail;
  return { ok: true, schedule: { weekday, hour, minute, text: text.trim() } };
}

/** The first scheduled moment strictly after `afterMs` (local time; a time skipped by a DST change moves to the next day that has it). */
export function nextReportAt(schedule: ReportSchedule, afterMs: number): number {
  const from = new Date(afterMs);
  for (let i = 0; i <= 8; i += 1) {
    const at = new Date(from.getFullYear(), from.getMonth(), from.getDate() + i, schedule.hour, schedule.minute, 0, 0);
    if (at.getHours() !== schedule.hour || at.getMinutes() !== schedule.minute) continue;
    if (schedule.weekday !== null && at.getDay() !== schedule.weekday) continue;
    if (at.getTime() > afterMs) return at.getTime();
  }
  // Unreachable for a valid schedule: every weekday comes within 8 days.
  return afterMs + 7 * 86_400_000;
}

/** How far back the digest looks: a week for a weekly schedule, a day for a daily one. */
export function digestWindowMs(schedule: ReportSchedule): number {
  return (schedule.weekday === null ? 1 : 7) * 86_400_000;
}
