/**
 * Which repeats of an open incident get a line in the audit log. A container that fails the same
 * way every cycle is seen again every CHECK_INTERVAL (2,880 times a day at 30 s), and the log is
 * never rotated, so not every repeat is written: the first one a doctor process sees, then when
 * the count reaches 1, 2, 5, 10, 20, 50, ... times in all, and at least once an hour while it goes
 * on. Each line says how many repeats it stands for (`covered`) and since when, so the report's
 * figures are sums, not line counts; a repeat an hour or more after the last line is always written.
 */

/** A line at least this often while a repeat goes on. */
export const REPEAT_LINE_EVERY_MS = 60 * 60 * 1000;

/** 1, 2, 5, 10, 20, 50, 100, ... */
export function isOneTwoFive(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  let m = n;
  while (m >= 10 && m % 10 === 0) m /= 10;
  return m === 1 || m === 2 || m === 5;
}

/** Repeats seen since the last written line, not yet on record. */
export interface PendingRepeats {
  /** Time of the last written line (ms). */
  readonly lastLineAt: number;
  /** How many repeats have gone unwritten since, and the first and last of their times. */
  readonly covered: number;
  readonly firstAt?: number;
  readonly lastAt?: number;
  /** The incident's count (times seen in all) at the latest of them. */
  readonly count?: number;
}

/** A repeat line to write: the count so far, how many repeats it stands for, the first of their times. */
export interface RepeatLine {
  readonly at: number;
  readonly count: number;
  readonly covered: number;
  readonly since: number;
}

/**
 * One repeat seen (`count`: times seen in all, now); `pending` is what earlier repeats of this
 * incident left unwritten in this process (undefined: none seen since start). Returns the line to
 * write, if any, and what is pending afterwards.
 */
export function takeRepeat(pending: PendingRepeats | undefined, count: number, at: number): { line?: RepeatLine; pending: PendingRepeats } {
  const covered = (pending?.covered ?? 0) + 1;
  const since = pending?.firstAt ?? at;
  if (pending === undefined || isOneTwoFive(count) || at - pending.lastLineAt >= REPEAT_LINE_EVERY_MS) {
    return { line: { at, count, covered, since }, pending: { lastLineAt: at, covered: 0 } };
  }
  return { pending: { lastLineAt: pending.lastLineAt, covered, firstAt: since, lastAt: at, count } };
}

/** What is pending, as one line (the incident ended, or the doctor is stopping); undefined when nothing is. */
export function flushRepeats(pending: PendingRepeats | undefined): RepeatLine | undefined {
  if (!pending || pending.covered === 0 || pending.lastAt === undefined || pending.count === undefined) return undefined;
  return { at: pending.lastAt, count: pending.count, covered: pending.covered, since: pending.firstAt ?? pending.lastAt };
}
