/**
 * The vocabulary shared by the redaction rules: markers, placeholders, and the rule shape.
 */

export const MARK = '[REDACTED';

/** What replaces a secret: `[REDACTED:<kind>]`, so a reader still knows what was there. */
export function marker(kind: string): string {
  return `${MARK}:${kind}]`;
}

/**
 * One redaction rule. `keywords` gate it (like gitleaks' rule keywords): the rule runs on a line
 * only when the line contains one of them, exactly as written (see `caseForms`). The pattern must be global.
 */
export interface Rule {
  readonly kind: string;
  readonly keywords: readonly string[];
  readonly pattern: RegExp;
  /**
   * `token` (provider rules): a keyword sits at the start of the credential's long run, so the
   * gate looks for it only there. `line` (default): a keyword may be anywhere on the line.
   */
  readonly scope?: 'token' | 'line';
  /** Replacement for a match; return the match itself to decline. Default: the marker. */
  readonly replace?: (m: RuleMatch) => string;
}

/** One match handed to a rule: the matched text and its named groups. */
export interface RuleMatch {
  readonly 0: string;
  readonly groups?: Record<string, string | undefined>;
}

/** Values that say "no secret here". */
const PLACEHOLDER_WORD =
  /^(?:true|false|null|nil|none|undefined|empty|unset|set|redacted|masked|hidden|removed|omitted|required|missing|invalid|expired|n\/a|changeme|example|string)$/i;
/** Placeholder shapes: `***`, `xxx`, `<secret>`, `${DB_PASSWORD}`, `{{ .Token }}`, `%s`, `$TOKEN`, an earlier redaction. */
const PLACEHOLDER_SHAPE = /^(?:-+|\*+|[xX]{3,}|\?+|%[sdv]|\{\}|\[REDACTED.*|.*\[REDACTED:[^\]]*\]$|<[^>]*>?|\$\{[^}]*\}?|\{\{.*|\$[A-Za-z_][A-Za-z0-9_]*|\$\([^)]*\)?|\.\.\.|\u2026)$/;

export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER_WORD.test(value) || PLACEHOLDER_SHAPE.test(value);
}

/** Builds a global regex from a source (`u` not used: the sources are ASCII). */
export function rx(source: string, flags = 'g'): RegExp {
  return new RegExp(source, flags);
}

/** Before a provider token: not glued to a longer word. */
export const TOKEN_START = '(?<![A-Za-z0-9_])';
/** After a provider token: the token ends here. */
export const TOKEN_END = '(?![A-Za-z0-9_])';

/** A word as it appears in logs: lower case, Capitalised (camelCase humps too) and UPPER. */
export function caseForms(...words: string[]): string[] {
  return words.flatMap((w) => [w, w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()]);
}
