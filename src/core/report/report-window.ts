/** `--since 7d|DATE`: where the report's window begins. */

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export type SinceParse = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly message: string };

/**
 * A span back from `now` (`30m`, `24h`, `7d`, `2w`) or a date (`2026-11-30`, read as UTC
 * midnight) or an ISO time with its zone (`2026-11-30T09:00:00Z`).
 */
export function parseSince(text: string, now: number, flag = '--since'): SinceParse {
  const value = text.trim();
  const span = /^(\d{1,6})\s*([mhdw])$/i.exec(value);
  if (span) {
    const ms = Number(span[1]) * UNIT_MS[span[2]!.toLowerCase()]!;
    if (ms <= 0) return { ok: false, message: `${flag} ${JSON.stringify(text)} must be longer than zero` };
    return { ok: true, ms: now - ms };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value) || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (!Number.isFinite(ms) || (value.length === 10 && new Date(ms).toISOString().slice(0, 10) !== value)) {
      return { ok: false, message: `${flag} ${JSON.stringify(text)} is not a real date` };
    }
    if (ms > now) return { ok: false, message: `${flag} ${JSON.stringify(text)} is in the future` };
    return { ok: true, ms };
  }
  return { ok: false, message: `${flag} ${JSON.stringify(text)} must be a span like 7d, 24h, 30m, 2w or a date like 2026-11-30` };
}
