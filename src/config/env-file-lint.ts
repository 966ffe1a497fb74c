/**
 * Warnings for a `.env` file: lines dotenv would silently ignore, and names one edit away from a
 * setting (`CHECK_INTERVALL`), which would otherwise leave the default in force without a word.
 * Other programs' variables in a shared `.env` are not ours to judge and stay silent.
 */

/** Damerau-Levenshtein distance, capped: we only care whether it is 0, 1 or more. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 1) return 2;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The setting `name` was probably meant to be, when it is one edit (or only letter case) away. */
export function nearestSetting(name: string, settings: readonly string[]): string | undefined {
  if (settings.includes(name)) return undefined;
  const upper = name.toUpperCase();
  return settings.find((s) => s === upper) ?? settings.find((s) => s.length >= 6 && editDistance(upper, s) === 1);
}

// eslint-disable-next-line no-control-regex
const NOT_TEXT = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/;
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;

/** One warning line per problem in the text of the `.env` file at `file`. */
export function lintEnvFile(text: string, file: string, settings: readonly string[]): string[] {
  const warnings: string[] = [];
  const lines = text.split(/\r?\n/);
  let openQuote: string | null = null;
  lines.forEach((line, i) => {
    const where = `${file} line ${i + 1}`;
    if (openQuote) {
      if (line.includes(openQuote)) openQuote = null;
      return;
    }
    if (NOT_TEXT.test(line)) {
      warnings.push(`${where} is not text (binary data?); ignored`);
      return;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = ASSIGNMENT.exec(line);
    if (!m) {
      const shown = trimmed.length > 40 ? `${trimmed.slice(0, 40)}…` : trimmed;
      warnings.push(`${where} (${JSON.stringify(shown)}) is not NAME=value; ignored`);
      return;
    }
    const [, name = '', value = ''] = m;
    // A quoted value may go on over several lines (a PEM key, say).
    const q = value[0];
    if ((q === '"' || q === "'" || q === '`') && !value.slice(1).includes(q)) openQuote = q;
    const meant = nearestSetting(name, settings);
    if (meant) warnings.push(`${where}: ${name} is not a setting; did you mean ${meant}? (ignored)`);
  });
  return warnings;
}
