/**
 * Quiet periods people plan: recurring maintenance windows (MAINTENANCE_WINDOWS, in TZ), a
 * container's own `doctor.maintenance=<RFC 3339 time>` label, and quiet hours (QUIET_HOURS) during
 * which alerts below a severity floor wait. Pure: every function takes the clock and the time zone.
 *
 * Local time comes from Intl (the IANA zone database Node ships), so a window means the wall-clock
 * time people wrote, daylight saving included: "sun 02:00-04:00" in Europe/Berlin is 02:00 Berlin time.
 */
import { parseTime } from './history.js';

/** `doctor.maintenance=<RFC 3339 time>`: no actions and no alerts for this container until then. */
export const LABEL_MAINTENANCE = 'doctor.maintenance';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_MINUTES = 24 * 60;

/** One recurring window: on these days (of its start), from `start` for `length` minutes. */
export interface RecurringWindow {
  /** Weekdays (0 = Sunday) on which the window starts. */
  readonly days: readonly number[];
  /** Minutes after local midnight. */
  readonly start: number;
  /** Minutes long; a window that ends at or before its start runs past midnight. */
  readonly length: number;
  /** As written, for reasons. */
  readonly text: string;
}

/** A daily span of quiet hours (`22:00-07:00`). */
export interface DailySpan {
  readonly start: number;
  readonly length: number;
  readonly text: string;
}

/** An active quiet period: until when (ms), and how to name it. */
export interface ActivePeriod {
  readonly until: number;
  readonly why: string;
}

function parseClock(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min !== 0)) return undefined;
  return h * 60 + min;
}

function parseSpan(text: string, what: string): { start: number; length: number } {
  const [from, to, extra] = text.split('-');
  const start = from === undefined ? undefined : parseClock(from);
  const end = to === undefined ? undefined : parseClock(to);
  if (start === undefined || end === undefined || extra !== undefined) throw new Error(`${what} ${JSON.stringify(text)} must be HH:MM-HH:MM`);
  const length = (end - start + DAY_MINUTES) % DAY_MINUTES;
  return { start: start % DAY_MINUTES, length: length === 0 ? DAY_MINUTES : length };
}

function parseDays(text: string): number[] {
  const t = text.trim().toLowerCase();
  if (t === 'daily' || t === '*' || t === 'every') return [0, 1, 2, 3, 4, 5, 6];
  const full = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  const day = (d: string): number => {
    const i = d.length >= 3 ? full.findIndex((name) => name.startsWith(d)) : -1;
    if (i < 0) throw new Error(`unknown day ${JSON.stringify(d)} (use sun, mon, ..., sat, a range like mon-fri, or daily)`);
    return i;
  };
  const range = t.split('-');
  if (range.length === 2) {
    const from = day(range[0]!);
    const to = day(range[1]!);
    const out: number[] = [];
    for (let d = from; ; d = (d + 1) % 7) {
      out.push(d);
      if (d === to) break;
    }
    return out;
  }
  if (range.length === 1) return [day(t)];
  throw new Error(`unknown days ${JSON.stringify(text)}`);
}

/**
 * MAINTENANCE_WINDOWS: entries separated by commas, each `<days> HH:MM-HH:MM`, where days is one
 * day (`sun`), a range (`mon-fri`) or `daily`. Throws an Error naming the bad entry.
 */
export function parseMaintenanceWindows(text: string): RecurringWindow[] {
  return text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0)
    .map((entry) => {
      const m = /^(\S+)\s+(\S+)$/.exec(entry);
      if (!m) throw new Error(`entry ${JSON.stringify(entry)} must be "<days> HH:MM-HH:MM" (for example "sun 02:00-04:00")`);
      const days = parseDays(m[1]!);
      const span = parseSpan(m[2]!, 'time span');
      return { days, ...span, text: entry };
    });
}

/** QUIET_HOURS: one daily span `HH:MM-HH:MM` (`22:00-07:00`). */
export function parseQuietHours(text: string): DailySpan {
  return { ...parseSpan(text.trim(), 'QUIET_HOURS'), text: text.trim() };
}

/** The wall-clock weekday and time in `timeZone` at `now`. */
export function localTime(now: number, timeZone: string | undefined): { weekday: number; minutes: number; msIntoMinute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(now));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3) as (typeof DAYS)[number]);
  const minutes = (Number(get('hour')) % 24) * 60 + Number(get('minute'));
  return { weekday, minutes, msIntoMinute: now % 60_000 };
}

/** How long a span that started `into` minutes ago still runs, in ms from `now`. */
function remainingMs(length: number, into: number, msIntoMinute: number): number {
  return (length - into) * 60_000 - msIntoMinute;
}

/** The recurring window in force at `now`, if any (the one that ends last when several overlap). */
export function activeWindow(windows: readonly RecurringWindow[], now: number, timeZone: string | undefined): ActivePeriod | undefined {
  if (windows.length === 0) return undefined;
  const { weekday, minutes, msIntoMinute } = localTime(now, timeZone);
  let best: ActivePeriod | undefined;
  for (const w of windows) {
    // Started today, or yesterday and running past midnight.
    for (const [day, into] of [[weekday, minutes - w.start], [(weekday + 6) % 7, minutes + DAY_MINUTES - w.start]] as const) {
      if (!w.days.includes(day) || into < 0 || into >= w.length) continue;
      const until = now + remainingMs(w.length, into, msIntoMinute);
      if (!best || until > best.until) best = { until, why: `maintenance window "${w.text}" (MAINTENANCE_WINDOWS, ${timeZone ?? 'local time'})` };
    }
  }
  return best;
}

/** The quiet hours in force at `now`, if any. */
export function activeQuietHours(span: DailySpan | undefined, now: number, timeZone: string | undefined): ActivePeriod | undefined {
  if (!span) return undefined;
  const active = activeWindow([{ days: [0, 1, 2, 3, 4, 5, 6], start: span.start, length: span.length, text: span.text }], now, timeZone);
  return active ? { until: active.until, why: `quiet hours ${span.text} (QUIET_HOURS, ${timeZone ?? 'local time'})` } : undefined;
}

/** A container's `doctor.maintenance` label in force at `now`; an unparsable or past time is none. */
export function labelMaintenance(labels: Readonly<Record<string, string>>, now: number): ActivePeriod | undefined {
  const raw = labels[LABEL_MAINTENANCE];
  if (raw === undefined) return undefined;
  // RFC 3339 requires a zone (Z or an offset): a bare local time would mean different things on different hosts.
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/.test(raw.trim())) return undefined;
  const until = parseTime(raw.trim());
  if (until === null || until <= now) return undefined;
  return { until, why: `label ${LABEL_MAINTENANCE}=${raw.trim()}` };
}

/** Validates a time zone name the way Intl will use it. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
