/**
 * Secret redaction for every piece of container text that leaves the machine (Claude, Slack).
 *
 * One combined regular expression scans a text once; each alternative is a rule with a kind, and
 * a match is replaced by `[REDACTED:<kind>]`. Key/value rules keep the key and the quotes so the
 * line still reads ("password=[REDACTED:password]"). Rules are anchored on something specific (a
 * provider prefix, a key name, `://user:pass@`, a PEM header) rather than on "looks random", so
 * hashes, UUIDs, request ids and base64 payloads pass through untouched.
 */

export interface RedactorOptions {
  /** `NAME=value` pairs (a container's `Config.Env`): values of secret-looking names are redacted verbatim. */
  readonly env?: readonly string[];
  /** Further literal secrets (the doctor's own API key, webhook URL, ...). */
  readonly extraSecrets?: readonly string[];
}

export type Redactor = (text: string) => string;

/** Literal secrets shorter than this are ignored: redacting "dev" or "1234" everywhere would wreck the text. */
export const MIN_LITERAL_SECRET_LENGTH = 6;

const MARK = '[REDACTED';

function marker(kind: string): string {
  return `${MARK}:${kind}]`;
}

type Groups = Record<string, string | undefined>;

interface Rule {
  readonly kind: string;
  /** Regex source. Named groups inside must be suffixed with the rule index, see `compile`. */
  readonly source: string;
  /** Replacement for a match; return `match` unchanged to decline. Default: the whole match. */
  readonly replace?: (match: string, g: (name: string) => string | undefined) => string;
}

/** Case-insensitive letters without the `i` flag (the flag would break the camelCase boundaries). `_` = optional separator. */
function ci(word: string): string {
  let out = '';
  for (const c of word) {
    if (c === '_') out += '[_.-]?';
    else if (/[a-z]/.test(c)) out += `[${c}${c.toUpperCase()}]`;
    else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return out;
}

/** Start of an identifier word: not inside a word, or a camelCase hump (`dbPassword`), or an all-caps run (`PGPASSWORD`). */
const WORD_START = '(?:(?<![A-Za-z0-9])|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z]{4}))';
/** End of a key name: `password_hash`, `tokenizer` and `secret.name` are other keys. */
const KEY_END = '(?![A-Za-z0-9_.-])';
/** Before a provider token: not glued to a longer word. */
const TOKEN_START = '(?<![A-Za-z0-9_])';

/**
 * Key names whose value is a secret. Kept to names that end the key: `token_count`, `password_reset`
 * and `max_tokens` are not matched.
 */
const SECRET_KEYS = [
  'password', 'passwd', 'passphrase', 'passcode', 'pwd',
  'secret', 'client_secret',
  'token',
  'api_key', 'access_key', 'secret_key', 'private_key', 'signing_key', 'encryption_key', 'master_key', 'account_key',
  'credentials', 'credential',
  'secret_key_base', 'session_key', 'cookie',
].map(ci);

/** Tokens that are cursors or ids rather than credentials (`next_page_token=...`). */
const NOT_SECRET_TOKEN_PREFIX = `(?<!${['page_', 'next_page_', 'continuation_', 'sync_', 'resume_', 'cursor_', 'idempotency_', 'pagination_'].map(ci).join('|')})`;

/** Values that say "no secret here". */
const PLACEHOLDER_WORD =
  /^(?:true|false|null|nil|none|undefined|empty|unset|set|redacted|masked|hidden|removed|omitted|required|missing|invalid|expired|n\/a)$/i;
/** Placeholder shapes: `***`, `xxx`, `<secret>`, `${DB_PASSWORD}`, `{{ .Token }}`, `%s`, `$TOKEN`, an earlier redaction. */
const PLACEHOLDER_SHAPE = /^(?:-+|\*+|[xX]{3,}|\?+|%[sv]|\{\}|\[REDACTED.*|<[^>]*>?|\$\{[^}]*\}?|\{\{.*|\$[A-Z_][A-Z0-9_]*)$/;

function isPlaceholder(value: string): boolean {
  return PLACEHOLDER_WORD.test(value) || PLACEHOLDER_SHAPE.test(value);
}

/** A value that reads like prose after a colon ("token: expired", "password: changed"): not a credential. */
const PROSE_WORD = /^[a-z]+$/;

/** A token with some randomness: at least 8 chars with digits and letters, or mixed case. */
function looksRandom(value: string): boolean {
  if (value.length < 8) return false;
  const digit = /\d/.test(value);
  const lower = /[a-z]/.test(value);
  const upper = /[A-Z]/.test(value.slice(1));
  return (digit && (lower || upper)) || (lower && upper);
}

/** True when `value` is base64 of `user:password` (HTTP Basic credentials). */
function isBasicCredential(value: string): boolean {
  try {
    const decoded = atob(value);
    return /^[\x20-\x7e]+$/.test(decoded) && decoded.indexOf(':') > 0;
  } catch {
    return false;
  }
}

/** Marker kind from the key name, so the reader still knows what was there. */
function kindOfKey(match: string): string {
  const key = (/^[A-Za-z0-9_.-]+/.exec(match)?.[0] ?? '').toLowerCase();
  if (/pass|pwd/.test(key)) return 'password';
  if (key.includes('token')) return 'token';
  if (key.includes('cookie')) return 'cookie';
  return 'secret';
}

function keyValue(kind: string, keySource: string): Rule {
  // Value forms, in order: \"escaped\" (JSON inside a JSON string), "double", 'single', bare.
  const value =
    '(?:(?<eq>\\\\")(?<ve>(?:[^"\\\\\\r\\n]|\\\\(?!"))*)\\\\"' +
    '|(?<dq>")(?<vd>(?:[^"\\\\\\r\\n]|\\\\.)*)"' +
    "|(?<sq>')(?<vs>[^'\\r\\n]*)'" +
    '|(?<vb>[^\\s"\'\\\\,;&)}\\]]+))';
  const source = `${keySource}${KEY_END}(?<sep>\\\\?["']?[ \\t]*(?<op>:=|=>|[:=])[ \\t]*)${value}`;
  return {
    kind,
    source,
    replace(match, g) {
      const v = g('ve') ?? g('vd') ?? g('vs') ?? g('vb') ?? '';
      if (v === '' || isPlaceholder(v)) return match;
      const bare = g('vb') !== undefined;
      if (bare && g('op') === ':' && PROSE_WORD.test(v)) return match;
      if (bare && /^\//.test(v) && /^pwd/i.test(match)) return match; // PWD=/app is the working directory
      const keyAndSep = match.slice(0, match.length - (g('eq') ? v.length + 4 : g('dq') || g('sq') ? v.length + 2 : v.length));
      const quote = g('eq') ? '\\"' : (g('dq') ?? g('sq') ?? '');
      return `${keyAndSep}${quote}${marker(kindOfKey(match))}${quote}`;
    },
  };
}

/** The fixed rules, most specific first (at one position the first matching alternative wins). */
const RULES: readonly Rule[] = [
  {
    // A whole PEM private key block: on one line, across lines, with JSON `\n` escapes, or a BEGIN
    // line alone (the block continues in later log lines: see `pem-body`).
    kind: 'private-key',
    source:
      '-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----' +
      // Body: whole lines of base64 (or PEM headers) after a line break, or space-separated chunks
      // when a logger collapsed the block onto one line.
      '(?:(?:[ \\t]*(?:\\r?\\n|\\\\r?\\\\n))+[ \\t]*(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment):[^\\r\\n\\\\]*)(?=[ \\t]*(?:\\r?\\n|\\\\r?\\\\n|$))' +
      '|[ \\t]+[A-Za-z0-9+/=]+)*' +
      '(?:(?:(?:[ \\t]*(?:\\r?\\n|\\\\r?\\\\n))+[ \\t]*|[ \\t]+)?-----END[A-Z0-9 ]*-----)?',
  },
  {
    // One body line of a PEM block logged line by line: 64 (PEM), 70 (OpenSSH) or 76 (MIME) base64
    // characters alone on the line.
    kind: 'private-key',
    source: '^[ \\t]*(?<body>[A-Za-z0-9+/]{63,76}={0,2})[ \\t]*\\r?$',
    replace: (match, g) => {
      const body = g('body') ?? '';
      return body.length >= 64 && /[a-z]/.test(body) && /[A-Z]/.test(body) && /\d/.test(body) ? marker('private-key') : match;
    },
  },
  { kind: 'jwt', source: `${TOKEN_START}eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*` },
  { kind: 'anthropic-key', source: `${TOKEN_START}sk-ant-[A-Za-z0-9_-]{16,}` },
  {
    kind: 'openai-key',
    source: `${TOKEN_START}sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}`,
    replace: (match) => (looksRandom(match.slice(3)) ? marker('openai-key') : match),
  },
  { kind: 'aws-access-key-id', source: `${TOKEN_START}(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?![A-Za-z0-9])` },
  { kind: 'github-token', source: `${TOKEN_START}(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})` },
  { kind: 'gitlab-token', source: `${TOKEN_START}glpat-[A-Za-z0-9_-]{20,}` },
  { kind: 'slack-token', source: `${TOKEN_START}(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\\d-[A-Za-z0-9-]{10,})` },
  { kind: 'slack-webhook', source: 'https?://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+' },
  { kind: 'stripe-key', source: `${TOKEN_START}(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|${TOKEN_START}whsec_[A-Za-z0-9]{20,}` },
  { kind: 'google-api-key', source: `${TOKEN_START}AIza[0-9A-Za-z_-]{30,}` },
  { kind: 'google-oauth', source: `${TOKEN_START}(?:ya29\\.[0-9A-Za-z_-]{20,}|GOCSPX-[A-Za-z0-9_-]{20,})` },
  { kind: 'npm-token', source: `${TOKEN_START}npm_[A-Za-z0-9]{30,}` },
  { kind: 'huggingface-token', source: `${TOKEN_START}hf_[A-Za-z0-9]{30,}` },
  { kind: 'sendgrid-key', source: `${TOKEN_START}SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}` },
  { kind: 'digitalocean-token', source: `${TOKEN_START}do[opr]_v1_[a-f0-9]{40,}` },
  { kind: 'shopify-token', source: `${TOKEN_START}shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}` },
  { kind: 'telegram-token', source: '(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{33}' },
  {
    // scheme://user:password@host — keep the user, drop the password. Greedy up to the last `@`
    // before the path, so passwords containing `@` do not leak their tail.
    kind: 'url-password',
    source: '(?<=[A-Za-z0-9])(?<scheme>://[^\\s:/@"\'<>]*:)(?<pw>[^\\s/"\'<>]+)@',
    replace: (match, g) => {
      const pw = g('pw') ?? '';
      if (pw === '' || isPlaceholder(pw) || pw.startsWith(MARK)) return match;
      return `${g('scheme')}${marker('password')}@`;
    },
  },
  {
    // Authorization / Proxy-Authorization header in any notation: keep the scheme, drop the credential.
    kind: 'authorization',
    source:
      `${WORD_START}${ci('authorization')}(?<sep>\\\\?["']?[ \\t]*[:=][ \\t]*(?:\\\\?["']|[[(])?)` +
      '(?<scheme>(?:[Bb]earer|BEARER|[Bb]asic|BASIC|[Tt]oken|[Bb]ot|[Dd]igest|Negotiate|NTLM|AWS4-HMAC-SHA256|GoogleLogin)[ \\t]+)?' +
      '(?<cred>[^\\s"\'\\\\)\\]]+(?:[ \\t]+[A-Za-z]+=[^\\s"\'\\\\)\\]]+)*)',
    replace: (match, g) => {
      const cred = g('cred') ?? '';
      if (isPlaceholder(cred) || cred.startsWith(MARK)) return match;
      if (!g('scheme') && /^[A-Za-z][a-z]*[.,]?$/.test(cred)) return match; // "Authorization: failed"
      return match.slice(0, match.length - cred.length) + marker('authorization');
    },
  },
  {
    kind: 'bearer',
    // RFC 6750 b64token: `=` only as padding, so `Bearer realm="x"` and `expires_in=3600` are not tokens.
    source: '(?<![A-Za-z])(?<scheme>(?:[Bb]earer|BEARER)[ \\t]+)(?<cred>[A-Za-z0-9._~+/-]{8,}={0,2})(?![A-Za-z0-9._~+/=-])',
    replace: (match, g) => (looksRandom(g('cred') ?? '') ? `${g('scheme')}${marker('bearer')}` : match),
  },
  {
    kind: 'basic-auth',
    source: '(?<![A-Za-z])(?<scheme>(?:[Bb]asic|BASIC)[ \\t]+)(?<cred>[A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])',
    replace: (match, g) => (isBasicCredential(g('cred') ?? '') ? `${g('scheme')}${marker('basic-auth')}` : match),
  },
  {
    // `curl -u user:password`, `--user user:password`
    kind: 'password',
    source: '(?<![A-Za-z0-9-])(?<flag>(?:-u|--user)[ \\t]+[^\\s:]+:)(?<pw>[^\\s"\']+)',
    replace: (_match, g) => `${g('flag')}${marker('password')}`,
  },
  {
    // `--password hunter2`, `--api-key abc` (space-separated CLI flags; `=` forms are key/value)
    kind: 'secret',
    source: `(?<![A-Za-z0-9-])(?<flag>--[a-z-]*(?:password|passwd|secret|token|api-key|apikey|access-key)[ \\t]+)(?!-)(?<v>[^\\s"']+)`,
    replace: (match, g) => (isPlaceholder(g('v') ?? '') ? match : `${g('flag')}${marker('secret')}`),
  },
  {
    // URL query credentials with short names (`?sig=`, `&key=`, `?code=`) that would be too broad as keys elsewhere.
    kind: 'url-credential',
    source: '(?<k>[?&](?:sig|key|code|X-Amz-Signature|X-Amz-Security-Token|X-Goog-Signature)=)(?<v>[^&#\\s"\'<>]+)',
    replace: (match, g) => (isPlaceholder(g('v') ?? '') || (g('v') ?? '').startsWith(MARK) ? match : `${g('k')}${marker('url-credential')}`),
  },
  keyValue('secret', `${WORD_START}${NOT_SECRET_TOKEN_PREFIX}(?:${SECRET_KEYS.join('|')})`),
];

/** Names of environment variables whose values are secrets. `PWD` and `OLDPWD` are directories. */
const SECRET_ENV_NAME =
  /(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|(?:^|_)KEY$|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|WEBHOOK|(?:^|_)PWD$|(?:^|_)PASS$|_SALT$|COOKIE)/i;
/** Names whose values are URLs or DSNs: only the password inside is a secret. */
const URL_ENV_NAME = /(?:_URL|_URI|_DSN|^DSN|DATABASE_URL|CONNECTION_?STRING|CONN_?STR)$/i;

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
      const pw = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]*:([^\s/]+)@/.exec(value)?.[1];
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

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function literalRule(literals: readonly Literal[]): { rule: Rule; kinds: Map<string, string> } | null {
  const kinds = new Map<string, string>();
  for (const { value, kind } of literals) {
    if (value.length < MIN_LITERAL_SECRET_LENGTH || NOT_SECRET_VALUE.test(value)) continue;
    for (const form of variants(value)) if (!kinds.has(form)) kinds.set(form, kind);
  }
  if (kinds.size === 0) return null;
  // Longest first, so a secret that contains another is removed whole.
  const alternatives = [...kinds.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return { kinds, rule: { kind: 'literal', source: `(?:${alternatives.join('|')})` } };
}

interface Compiled {
  readonly regex: RegExp;
  readonly rules: readonly Rule[];
}

/**
 * Joins the rules into one regex. Each rule is wrapped in a group `r<i>`, and its own named groups
 * get the suffix `_<i>` (names must be unique across the alternation).
 */
function compile(rules: readonly Rule[]): Compiled {
  const sources = rules.map((rule, i) => `(?<r${i}>${rule.source.replace(/\(\?<([A-Za-z]+)>/g, `(?<$1_${i}>`)})`);
  return { regex: new RegExp(sources.join('|'), 'gm'), rules };
}

const FIXED = compile(RULES);

/**
 * Builds a redactor. Without options it applies the fixed rules only; with `env` it also removes the
 * values of secret-looking variables (`*_PASSWORD`, `*_TOKEN`, `*_KEY`, `*SECRET*`, the password of
 * `DATABASE_URL`, ...) wherever they appear, in plain, URL-encoded and JSON-escaped form.
 */
export function createRedactor(opts: RedactorOptions = {}): Redactor {
  const literals = [...collectEnvSecrets(opts.env ?? []), ...(opts.extraSecrets ?? []).map((value) => ({ value, kind: 'secret' }))];
  const literal = literalRule(literals);
  const compiled = literal ? compile([literal.rule, ...RULES]) : FIXED;
  const { regex, rules } = compiled;

  return (text: string): string => {
    if (text.length < 6) return text;
    return text.replace(regex, (match: string, ...args: unknown[]) => {
      const groups = args[args.length - 1] as Groups;
      const index = rules.findIndex((_, i) => groups[`r${i}`] !== undefined);
      const rule = rules[index];
      if (!rule) return match;
      if (literal && index === 0) return marker(literal.kinds.get(match) ?? 'secret');
      if (!rule.replace) return marker(rule.kind);
      return rule.replace(match, (name) => groups[`${name}_${index}`]);
    });
  };
}
