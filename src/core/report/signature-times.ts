/** When the same failure comes back: its times, and whether they follow the clock (a nightly job's OOM). */
import type { SignatureRepeat } from './report-types.js';
import { byText } from '../text-order.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Times of day this close (either way) count as the same time. */
const SAME_TIME_OF_DAY_MS = 60 * 60 * 1000;

/** `daily around 02:00 UTC` when the times fall on at least two days, each within an hour of the first's time of day. */
export function describeTimePattern(times: readonly number[]): string | null {
  if (times.length < 2) return null;
  const days = new Set(times.map((t) => Math.floor(t / DAY_MS)));
  if (days.size < 2) return null;
  const first = times[0]! % DAY_MS;
  const offsets = times.map((t) => {
    const d = Math.abs((t % DAY_MS) - first);
    return Math.min(d, DAY_MS - d);
  });
  if (offsets.some((o) => o > SAME_TIME_OF_DAY_MS)) return null;
  const at = new Date(times[0]!);
  const hh = String(at.getUTCHours()).padStart(2, '0');
  const mm = String(at.getUTCMinutes()).padStart(2, '0');
  return `daily around ${hh}:${mm} UTC`;
}

/**
 * The signatures seen more than once on a container, each with how many times (`n` per sighting:
 * one for a record, a repeat line's `covered`) and the times on record (oldest first; a line that
 * stands for many repeats gives the first and last of them).
 */
export function collectRepeats(
  seen: ReadonlyArray<{ container: string; signature: string; rule: string | null; at: number; since?: number; n?: number }>,
): SignatureRepeat[] {
  const groups = new Map<string, { container: string; signature: string; rule: string | null; times: number[]; count: number }>();
  for (const s of seen) {
    const key = `${s.container}\u0000${s.signature}`;
    const g = groups.get(key) ?? { container: s.container, signature: s.signature, rule: s.rule, times: [], count: 0 };
    if (s.since !== undefined) g.times.push(s.since);
    g.times.push(s.at);
    g.count += s.n ?? 1;
    groups.set(key, g);
  }
  return [...groups.values()]
    .filter((g) => g.count > 1)
    .map((g) => {
      const times = [...new Set(g.times)].sort((a, b) => a - b);
      return { container: g.container, signature: g.signature, rule: g.rule, count: g.count, times: times.map((t) => new Date(t).toISOString()), pattern: describeTimePattern(times) };
    })
    .sort((a, b) => b.count - a.count || byText(a.container, b.container));
}
