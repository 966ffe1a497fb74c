/**
 * Secret redaction for every piece of container text that leaves the machine (Claude, Slack, the
 * audit log, `/history`, `diagnose --json`). A match is replaced by `[REDACTED:<kind>]`; key/value
 * rules keep the key and the quotes so the line still reads (`password=[REDACTED:password]`).
 *
 * Passes, in order, over the whole text (a log tail joined with newlines, or one line):
 * 1. the container's own secret values (its environment) and the doctor's, wherever they appear;
 * 2. private keys spread over several lines (redact-pem.ts), before any line is judged alone;
 * 3. line rules: provider formats (redact-providers.ts) and context (redact-context.ts), run only
 *    on lines that contain one of their keywords, found by one scan of the text;
 * 4. long high-entropy tokens anywhere (entropy.ts), so unknown formats do not leak either, while
 *    hex hashes, UUIDs, digests and identifiers stay readable.
 */
import { isCredentialLike, scanLongTokens } from './entropy.js';
import { CONTEXT_RULES } from './redact-context.js';
import { createGate } from './redact-gate.js';
import { redactPemBlocks } from './redact-pem.js';
import { PROVIDER_RULES } from './redact-providers.js';
import { marker, MARK, rx, type Rule } from './redact-rule.js';

export interface RedactorOptions {
  /** `NAME=value` pairs (a container's `Config.Env`): values of secret-looking names are redacted verbatim. */
  readonly env?: readonly string[];
  /** Further literal secrets (the doctor's own API key, webhook URL, ...). */
  readonly extraSecrets?: readonly string[];
}

/** Redacts a text: one line, or many joined with `\n` (multi-line secrets are found across them). */
export type Redactor = (text: string) => string;

/** Literal secrets shorter than this are ignored: redacting "dev" or "1234" everywhere would wreck the text. */
export const MIN_LITERAL_SECRET_LENGTH = 6;

/** A private key collapsed onto one line: with spaces or JSON `\n` escapes between its parts, or a BEGIN line alone. */
const ONE_LINE_PEM: Rule = {
  kind: 'private-key',
  keywords: ['PRIVATE KEY'],
  pattern: rx(
    '-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----' +
      '(?:(?:[ \\t]|\\\\r|\\\\n)+(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment):[^\\\\]*))*' +
      '(?:(?:[ \\t]|\\\\r|\\\\n)*-----END[A-Z0-9 ]*-----)?',
  ),
};

/** The line rules, most specific first: a provider token is named by its provider, not its key. */
const LINE_RULES: readonly Rule[] = [ONE_LINE_PEM, ...PROVIDER_RULES, ...CONTEXT_RULES];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

const pickLines = createGate(
  LINE_RULES.filter((r) => r.scope !== 'token'),
  LINE_RULES.filter((r) => r.scope === 'token'),
);

/**
 * Runs one rule over a line. A rule that declines a match (returns it unchanged) does not consume
 * it: scanning resumes one character later, so `"log":"{\\"password\\":\\"x\\"}"` still finds
 * the password inside the declined value.
 */
function applyRule(line: string, rule: Rule): string {
  const pattern = rule.pattern;
  pattern.lastIndex = 0;
  let out = '';
  let copied = 0;
  for (let m = pattern.exec(line); m !== null; m = pattern.exec(line)) {
    const match = m[0];
    const replacement = rule.replace ? rule.replace({ 0: match, groups: m.groups }) : marker(rule.kind);
    if (replacement === match) {
      pattern.lastIndex = m.index + 1;
      continue;
    }
    out += line.slice(copied, m.index) + replacement;
    copied = m.index + match.length;
    if (match.length === 0) pattern.lastIndex += 1;
  }
  return copied === 0 && out === '' ? line : out + line.slice(copied);
}

function redactLine(line: string, wanted: ReadonlySet<Rule>): string {
  let out = line;
  for (const rule of LINE_RULES) if (wanted.has(rule)) out = applyRule(out, rule);
  return out;
}

/**
 * Passes 3 and 4: the line rules, on the lines the gate picks, each with the rules it needs, then
 * the entropy pass on lines with a long token; other lines are copied untouched.
 */
function redactGatedLines(text: string): string {
  const lines = pickLines(text);
  if (lines.length === 0) return text;
  let out = '';
  let copied = 0;
  for (const line of lines) {
    const redacted = redactLine(text.slice(line.start, line.end), line.rules);
    out += text.slice(copied, line.start) + (line.longToken ? redactFreeTokens(redacted) : redacted);
    copied = line.end;
  }
  return out + text.slice(copied);
}

/** A value named as a cursor or an id (`next_page_token=`, `cursor: `): random by design, not a credential. */
const CURSOR_BEFORE = /(?:page|cursor|continuation|pagination|offset|request|trace|span|correlation)[_.-]?(?:token|key|id)?["']?[ \t]*[:=][ \t]*["']?$/i;

/** Pass 4: long random tokens anywhere. */
function redactFreeTokens(text: string): string {
  let out = '';
  let copied = 0;
  scanLongTokens(text, (start, end) => {
    const token = text.slice(start, end);
    if (!isCredentialLike(token) || CURSOR_BEFORE.test(text.slice(Math.max(0, start - 40), start))) return;
    out += text.slice(copied, start) + marker('high-entropy');
    copied = end;
  });
  return copied === 0 ? text : out + text.slice(copied);
}

/** Names of environment variables whose values are secrets. `PWD` and `OLDPWD` are directories. */
const SECRET_ENV_NAME =
  /(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|(?:^|_)KEY$|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|WEBHOOK|(?:^|_)PWD$|(?:^|_)PASS$|_SALT$|COOKIE|(?:^|_)AUTH$|_DSN$|^DSN$)/i;
/** Names whose values are URLs or DSNs: only the password inside is a secret. */
const URL_ENV_NAME = /(?:_URL|_URI|DATABASE_URL|CONNECTION_?STRING|CONN_?STR)$/i;

const NOT_SECRET_VALUE = /^(?:true|false|yes|no|on|off|none|null|enabled|disabled|localhost|changeme)$/i;

interface Literal {
  readonly value: string;
  readonly kind: string;
}

/** Secret literals taken from a container's environment. */
export function collectEnvSecrets(env: readonly string[]): Literal[] {
  const out: Literal[] = [];
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    if (name === 'PWD' || name === 'OLDPWD') continue;
    if (SECRET_ENV_NAME.test(name)) {
      out.push({ value, kind: `env:${name}` });
    } else if (URL_ENV_NAME.test(name)) {
      const pw = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]*:([^\s]+)@[^\s@]*$/.exec(value)?.[1];
      if (pw) out.push({ value: pw, kind: `env:${name}` });
    }
  }
  return out;
}

/** A value and the forms it takes inside URLs and JSON strings. */
function variants(value: string): string[] {
  const forms = new Set([value]);
  try {
    forms.add(encodeURIComponent(value));
    if (/%[0-9A-Fa-f]{2}/.test(value)) forms.add(decodeURIComponent(value));
  } catch {
    // not URI-decodable: the literal form is enough
  }
  forms.add(JSON.stringify(value).slice(1, -1));
  return [...forms];
}

/** Pass 1: one regex over the literal secrets, longest first so a secret containing another goes whole. */
function literalPass(literals: readonly Literal[]): ((text: string) => string) | null {
  const kinds = new Map<string, string>();
  for (const { value, kind } of literals) {
    if (value.length < MIN_LITERAL_SECRET_LENGTH || NOT_SECRET_VALUE.test(value)) continue;
    for (const form of variants(value)) if (!kinds.has(form)) kinds.set(form, kind);
  }
  if (kinds.size === 0) return null;
  const regex = rx([...kinds.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'));
  return (text) => text.replace(regex, (m) => marker(kinds.get(m) ?? 'secret'));
}

/**
 * Builds a redactor. Without options it applies the fixed passes only; with `env` it also removes
 * the values of secret-looking variables (`*_PASSWORD`, `*_TOKEN`, `*_KEY`, `*SECRET*`, the
 * password of `DATABASE_URL`, ...) wherever they appear, in plain, URL-encoded and JSON-escaped form.
 */
export function createRedactor(opts: RedactorOptions = {}): Redactor {
  const literals = [...collectEnvSecrets(opts.env ?? []), ...(opts.extraSecrets ?? []).map((value) => ({ value, kind: 'secret' }))];
  const literal = literalPass(literals);
  return (text: string): string => {
    if (text.length < 6) return text;
    let out = literal ? literal(text) : text;
    out = redactPemBlocks(out);
    return redactGatedLines(out);
  };
}

/**
 * Redacts lines as one text, so secrets spread over several lines are found, and returns them
 * line for line. Falls back to one line at a time if a line itself holds a line break.
 */
export function redactLines(redact: Redactor, lines: readonly string[]): string[] {
  if (lines.length === 0) return [];
  if (lines.some((l) => l.includes('\n'))) return lines.map(redact);
  const out = redact(lines.join('\n')).split('\n');
  return out.length === lines.length ? out : lines.map(redact);
}

/** True when `text` holds a redaction marker. */
export function isRedacted(text: string): boolean {
  return text.includes(MARK);
}
