/**
 * Context redaction: a value is a secret because of what it is called, whatever the notation
 * (`k=v`, JSON, YAML, dict reprs, HTTP headers, query strings, env listings with name/value
 * pairs, command-line flags, cookies, URL userinfo).
 *
 * A key is split into words (`db_pass`, `dbPassword`, `X-Auth-Key`, `PGPASSWORD`); its last
 * word decides. Strong words (password, secret, token, auth, cookie, credential, ...) hide any
 * real value; weak words (key, session, sid, signature, private, ...) hide values that look
 * random, so `cache_key=user:42` and `session=started` stay readable. Keys whose last word is
 * something else (`token_count`, `password_reset`, `max_tokens`, `secret_name`) are not secret.
 */
import { isCredentialLike, isRandomValue, looksRandom } from './entropy.js';
import { caseForms, isPlaceholder, marker, MARK, rx, type Rule } from './redact-rule.js';

type Strength = 'strong' | 'weak';

/** Last words (suffixes of the last word) that make a key a secret whatever the value. */
const STRONG_SUFFIXES = [
  'password', 'passwd', 'passphrase', 'passcode', 'pass', 'pwd', 'secret', 'token', 'auth', 'credential', 'credentials',
  'creds', 'cookie', 'apikey', 'privatekey', 'secretkey', 'accesskey', 'authkey', 'masterkey', 'signingkey', 'encryptionkey',
  'accountkey', 'licensekey', 'appkey', 'clientkey', 'sharedkey',
];
/** Words ending like a strong word that are not secrets. */
const NOT_SECRET_WORDS = new Set(['bypass', 'compass', 'trespass', 'surpass', 'overpass', 'underpass', 'encompass', 'mpass', 'nopass']);
/** Exact last words that are strong on their own. */
const STRONG_WORDS = new Set(['pw', 'requirepass', 'masterauth']);
/** Last words that say "the same secret, encoded": the words before them decide. */
const FORM_WORDS = new Set(['base', 'value', 'string', 'data', 'b64', 'base64', 'hex', 'raw', 'plain', 'plaintext', 'encoded', 'bytes', 'pem', 'der', 'json', 'material']);
/** Last words that hide only random-looking values. */
const WEAK_SUFFIXES = ['sessionid', 'sessid', 'session', 'sid', 'sig', 'signature', 'salt', 'private', 'hmac', 'key'];
/** `<qualifier>_key` is a credential whatever its value looks like (`api_key`, `DD_APP_KEY`, `X-Auth-Key`). */
const KEY_QUALIFIERS = new Set([
  'api', 'access', 'secret', 'private', 'signing', 'encryption', 'master', 'account', 'app', 'application', 'client', 'license',
  'auth', 'admin', 'service', 'deploy', 'webhook', 'subscription', 'shared', 'storage', 'ingest', 'integration', 'write', 'sas',
  'consumer', 'server', 'root', 'user', 'personal', 'sdk', 'mgmt', 'management', 'hmac', 'crypt', 'cipher', 'aes', 'jwt',
]);

/** Keys that name cursors and ids rather than credentials (`next_page_token`, `idempotency_key`). */
const CURSOR_WORDS = new Set(['page', 'continuation', 'sync', 'resume', 'cursor', 'idempotency', 'pagination', 'dedupe', 'partition', 'routing', 'sort', 'primary', 'foreign', 'public']);

/** Words of a key: `X-Auth-Key` -> x, auth, key; `dbPassword` -> db, password; `PGPASSWORD` -> pgpassword. */
export function keyWords(key: string): string[] {
  return key
    .replace(/^[-_:.$@]+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.:\-[\]]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

/** How secret the value of `key` is, or null when the key does not name a secret. */
export function secretKeyStrength(key: string): Strength | null {
  const words = keyWords(key);
  const last = words.at(-1);
  if (!last || last.length > 40) return null;
  if (words.some((w) => CURSOR_WORDS.has(w))) return null;
  if (NOT_SECRET_WORDS.has(last)) return null;
  // `SECRET_KEY_BASE`, `password_b64`, `token_value`: a secret in another form.
  if (FORM_WORDS.has(last) && words.slice(0, -1).some((w) => STRONG_SUFFIXES.some((s) => w.endsWith(s)) || w === 'key')) return 'strong';
  if (STRONG_WORDS.has(last) || STRONG_SUFFIXES.some((s) => last.endsWith(s))) return 'strong';
  if (last === 'key' || last === 'keys') return words.length > 1 && KEY_QUALIFIERS.has(words.at(-2)!) ? 'strong' : 'weak';
  if (last === 'id' && words.at(-2) === 'session') return 'weak';
  if (WEAK_SUFFIXES.some((s) => last.endsWith(s))) return 'weak';
  return null;
}

/** True when `value` under a key of this strength is a real secret, not a flag, count or placeholder. */
function isSecretValue(strength: Strength, value: string, key: string): boolean {
  if (value === '' || isPlaceholder(value) || value.includes(MARK)) return false;
  if (/^\d{1,5}$/.test(value)) return false; // auth=1, session=0: flags and counts
  if (/^\//.test(value) && /pwd$/i.test(key)) return false; // PWD=/app is the working directory
  if (strength === 'strong') return true;
  return isRandomValue(value) || isCredentialLike(value);
}

/** Keywords that gate every context rule: a line without one of them has no secret key in it. */
const CONTEXT_KEYWORDS = [
  ...caseForms('pass', 'pwd', 'secret', 'token', 'auth', 'cred', 'cookie', 'key', 'sess', 'salt', 'private', 'hmac', 'signature'),
  // Short words that are common inside other words ("inside", "design"): only as a key before its separator.
  ...['pw', 'sid', 'sig'].flatMap((w) => caseForms(w).flatMap((f) => [`${f}=`, `${f}"`, `${f}'`, `${f}:`, `${f} `])),
];

/** A key containing one of the keywords: keeps the key/value regexes from trying every word pair. */
const KEY = `[A-Za-z0-9_.$@-]{0,60}?(?:${CONTEXT_KEYWORDS.join('|')})[A-Za-z0-9_.$@-]{0,60}`;

// Value forms, in order: \"escaped\" (JSON inside a JSON string), "double", 'single', bare.
const VALUE =
  '(?:(?<eq>\\\\")(?<ve>(?:[^"\\\\\\r\\n]|\\\\(?!"))*)\\\\"' +
  '|(?<dq>")(?<vd>(?:[^"\\\\\\r\\n]|\\\\.)*)"' +
  "|(?<sq>')(?<vs>[^'\\r\\n]*)'" +
  '|(?<vb>[^\\s"\'\\\\,;&)}\\]{[][^\\s"\'\\\\,;&)}\\]]*))';

interface ValueMatch {
  readonly value: string;
  readonly quote: string;
}

function valueOf(g: Record<string, string | undefined>): ValueMatch {
  if (g['eq'] !== undefined) return { value: g['ve'] ?? '', quote: '\\"' };
  if (g['dq'] !== undefined) return { value: g['vd'] ?? '', quote: '"' };
  if (g['sq'] !== undefined) return { value: g['vs'] ?? '', quote: "'" };
  return { value: g['vb'] ?? '', quote: '' };
}

/** Marker kind from the key name, so the reader still knows what was there. */
function kindOfKey(key: string): string {
  const k = key.toLowerCase();
  if (/pass|pwd|pw$/.test(k)) return 'password';
  if (k.includes('token')) return 'token';
  if (k.includes('cookie')) return 'cookie';
  return 'secret';
}

/** Replaces the value at the end of `match` (quoted or bare) with a marker, keeping key and quotes. */
function replaceValue(match: string, v: ValueMatch, kind: string): string {
  const tail = v.value.length + v.quote.length * 2;
  return `${match.slice(0, match.length - tail)}${v.quote}${marker(kind)}${v.quote}`;
}

/** A plain English key before `: ` and a lower-case word ("Password: incorrect", "token: expired"): prose. */
function isProse(key: string, sep: string, v: ValueMatch): boolean {
  return v.quote === '' && /:\s/.test(sep) && /^[A-Za-z][a-z]+$/.test(key) && /^[a-z]+[.,]?$/.test(v.value);
}

/** `key=value`, `"key": "value"`, `key: value`, `Key => 'value'`, `--key=value`, `X-Api-Key: value`. */
const keyValueRule: Rule = {
  kind: 'secret',
  keywords: CONTEXT_KEYWORDS,
  pattern: rx(`(?<![A-Za-z0-9_.$@-])(?<key>${KEY})(?<sep>\\\\?["']?[ \\t]*(?::=|=>|[:=])[ \\t]*)${VALUE}`),
  replace(m) {
    const g = m.groups ?? {};
    const key = g['key'] ?? '';
    const strength = secretKeyStrength(key);
    if (!strength) return m[0];
    const v = valueOf(g);
    if (!isSecretValue(strength, v.value, key) || isProse(key, g['sep'] ?? '', v)) return m[0];
    return replaceValue(m[0], v, kindOfKey(key));
  },
};

/** Env listings as name/value pairs: `{"name":"DB_PASSWORD","value":"..."}` (ECS, Kubernetes), `{Key: X, Value: Y}`. */
const nameValueRule: Rule = {
  kind: 'secret',
  keywords: caseForms('value'),
  pattern: rx(
    `(?<n1>["']?(?:[Nn]ame|NAME|[Kk]ey|KEY|ParameterKey)["']?[ \\t]*[:=][ \\t]*["']?)(?<name>[A-Za-z0-9_.-]+)(?<n2>["']?[ \\t]*,?[ \\t]*["']?(?:[Vv]alue|VALUE|ParameterValue)["']?[ \\t]*[:=][ \\t]*)${VALUE}`,
  ),
  replace(m) {
    const g = m.groups ?? {};
    const name = g['name'] ?? '';
    const strength = secretKeyStrength(name);
    const v = valueOf(g);
    if (!strength || !isSecretValue(strength, v.value, name)) return m[0];
    return replaceValue(m[0], v, kindOfKey(name));
  },
};

/** A short lower-case word after a flag or `set NAME` reads as prose ("--password or", "set X before"). */
const PROSE_AFTER_FLAG = /^[a-z]{1,8}$/;

/** `--password hunter2`, `--api-key abc`, `-Dpassword x` (space-separated flags; `=` forms are key/value). */
const flagRule: Rule = {
  kind: 'secret',
  keywords: CONTEXT_KEYWORDS,
  pattern: rx(`(?<![A-Za-z0-9_-])(?<flag>--?(?=[A-Za-z])${KEY})(?<sp>[ \\t]+)(?!-)(?:"(?<vd>[^"]*)"|'(?<vs>[^']*)'|(?<vb>[^\\s"']+))`),
  replace(m) {
    const g = m.groups ?? {};
    const flag = g['flag'] ?? '';
    const strength = secretKeyStrength(flag);
    const value = g['vd'] ?? g['vs'] ?? g['vb'] ?? '';
    if (!strength || !isSecretValue(strength, value, flag)) return m[0];
    if (g['vb'] !== undefined && PROSE_AFTER_FLAG.test(value)) return m[0]; // "--token flag is deprecated"
    const quote = g['vd'] !== undefined ? '"' : g['vs'] !== undefined ? "'" : '';
    return `${flag}${g['sp']}${quote}${marker(kindOfKey(flag))}${quote}`;
  },
};

/**
 * Space-separated settings: `aws configure set aws_secret_access_key X`, `CONFIG SET requirepass X`,
 * redis.conf `requirepass X`, `masterauth X`; and any strong key followed by a random-looking value.
 */
const spacedSettingRule: Rule = {
  kind: 'secret',
  keywords: CONTEXT_KEYWORDS,
  pattern: rx(`(?<![A-Za-z0-9_.-])(?<set>(?:[Ss]et|SET)[ \\t]+)?(?<key>(?=[A-Za-z_])${KEY})(?<sp>[ \\t]+)(?:"(?<vd>[^"]+)"|'(?<vs>[^']+)'|(?<v>[^\\s"'=:][^\\s"']*))`),
  replace(m) {
    const g = m.groups ?? {};
    const key = g['key'] ?? '';
    const quote = g['vd'] !== undefined ? '"' : g['vs'] !== undefined ? "'" : '';
    const raw = g['vd'] ?? g['vs'] ?? g['v'] ?? '';
    const value = quote ? raw : raw.replace(/[.,;]$/, '');
    if (secretKeyStrength(key) !== 'strong' || !isSecretValue('strong', value, key)) return m[0];
    const directive = g['set'] !== undefined || /^(?:requirepass|masterauth|masteruser|rootpw)$/i.test(key);
    if (!directive && !(looksRandom(value) && /[_-]/.test(key))) return m[0];
    if (!quote && g['set'] !== undefined && PROSE_AFTER_FLAG.test(value)) return m[0]; // "set DATABASE_PASSWORD before starting"
    return `${g['set'] ?? ''}${key}${g['sp']}${quote}${marker(kindOfKey(key))}${quote}${raw.slice(value.length)}`;
  },
};

/** `mysql -u root -pS3cret`, `mysqldump -pS3cret` (the password glued to `-p`), `redis-cli -a X`, `sshpass -p X`. */
const gluedPasswordRule: Rule = {
  kind: 'password',
  keywords: ['mysql', 'mariadb', 'redis-cli', 'sshpass'],
  pattern: rx(
    '(?:(?<=\\b(?:mysql|mysqldump|mysqladmin|mysqlsh|mariadb|mariadb-dump)\\b[^\\n]*?[ \\t])(?<p>-p)(?<v>[^\\s\'"]+)' +
      '|(?<=\\bredis-cli\\b[^\\n]*?[ \\t])(?<a>-a[ \\t]+)(?<va>[^\\s\'"]+)' +
      '|(?<=\\bsshpass[ \\t]+)(?<s>-p[ \\t]*)(?<vs>[^\\s\'"]+))',
  ),
  replace(m) {
    const g = m.groups ?? {};
    const head = g['p'] ?? g['a'] ?? g['s'] ?? '';
    const value = g['v'] ?? g['va'] ?? g['vs'] ?? '';
    return isPlaceholder(value) ? m[0] : `${head}${marker('password')}`;
  },
};

/** `Cookie:` and `Set-Cookie:` headers: every cookie value is a session credential. */
const cookieRule: Rule = {
  kind: 'cookie',
  keywords: caseForms('cookie'),
  pattern: rx('(?<![A-Za-z-])(?<h>(?:[Ss]et-)?[Cc]ookie|(?:SET-)?COOKIE)(?<sep>["\']?[ \\t]*[:=][ \\t]*["\']?)(?<v>[^"\'\\r\\n]+)'),
  replace(m) {
    const g = m.groups ?? {};
    const setCookie = /^set-/i.test(g['h'] ?? '');
    let first = true;
    const v = (g['v'] ?? '').replace(/(?<name>[^\s=;,]+)=(?<val>[^;,\s]*)/g, (pair, name: string, val: string) => {
      if (setCookie && !first) return pair; // Path=/, Expires=..., SameSite=Lax
      first = false;
      return val === '' || isPlaceholder(val) ? pair : `${name}=${marker('cookie')}`;
    });
    return `${g['h']}${g['sep']}${v}`;
  },
};

/**
 * scheme://user:password@host: keep the user, drop the password. Greedy up to the last `@` that
 * a host follows, so passwords containing `@` or `/` do not leak their tail. A random-looking
 * user with no password (a Sentry DSN key, a token used as the user) is dropped too.
 */
const urlUserinfoRule: Rule = {
  kind: 'url-password',
  keywords: ['://'],
  pattern: rx(
    '(?<=[A-Za-z0-9])(?<scheme>://)(?:(?<user>[^\\s:/@"\'<>]*):(?<pw>[^\\s"\'<>]+)|(?<solo>[A-Za-z0-9_.~-]{16,}))@(?=[A-Za-z0-9\\[][A-Za-z0-9.\\-\\[\\]:%]*(?:[/?#\\s"\'<>,;)]|$))',
  ),
  replace(m) {
    const g = m.groups ?? {};
    if (g['solo'] !== undefined) return looksRandom(g['solo']) ? `${g['scheme']}${marker('url-credential')}@` : m[0];
    const pw = g['pw'] ?? '';
    if (pw === '' || isPlaceholder(pw) || pw.startsWith(MARK)) return m[0];
    return `${g['scheme']}${g['user']}:${marker('password')}@`;
  },
};

/** Authorization / Proxy-Authorization header in any notation: keep the scheme, drop the credential. */
const authorizationRule: Rule = {
  kind: 'authorization',
  keywords: caseForms('authorization'),
  pattern: rx(
    '(?:[Aa]uthorization|AUTHORIZATION)(?<sep>\\\\?["\']?[ \\t]*[:=][ \\t]*(?:\\\\?["\']|[[(])?)' +
      '(?<scheme>(?:[Bb]earer|BEARER|[Bb]asic|BASIC|[Tt]oken|[Bb]ot|[Dd]igest|Negotiate|NTLM|AWS4-HMAC-SHA256|GoogleLogin|SSWS|Splunk|ApiKey|Key|DSN|GenieKey|Klaviyo-API-Key)[ \\t]+)?' +
      '(?<cred>[^\\s"\'\\\\)\\]]+(?:[ \\t]+[A-Za-z]+=[^\\s"\'\\\\)\\]]+)*)',
  ),
  replace(m) {
    const g = m.groups ?? {};
    const cred = g['cred'] ?? '';
    if (isPlaceholder(cred) || cred.startsWith(MARK)) return m[0];
    if (!g['scheme'] && /^[A-Za-z][a-z]*[.,]?$/.test(cred)) return m[0]; // "Authorization: failed"
    return m[0].slice(0, m[0].length - cred.length) + marker('authorization');
  },
};

/** RFC 6750 b64token: `=` only as padding, so `Bearer realm="x"` and `expires_in=3600` are not tokens. */
const bearerRule: Rule = {
  kind: 'bearer',
  keywords: caseForms('bearer'),
  pattern: rx('(?<![A-Za-z])(?<scheme>(?:[Bb]earer|BEARER)[ \\t]+)(?<cred>[A-Za-z0-9._~+/-]{8,}={0,2})(?![A-Za-z0-9._~+/=-])'),
  replace: (m) => (looksRandom(m.groups?.['cred'] ?? '') ? `${m.groups?.['scheme']}${marker('bearer')}` : m[0]),
};

/** True when `value` is base64 of `user:password` (HTTP Basic credentials). */
function isBasicCredential(value: string): boolean {
  try {
    const decoded = atob(value);
    return /^[\x20-\x7e]+$/.test(decoded) && decoded.indexOf(':') > 0;
  } catch {
    return false;
  }
}

const basicRule: Rule = {
  kind: 'basic-auth',
  keywords: caseForms('basic'),
  pattern: rx('(?<![A-Za-z])(?<scheme>(?:[Bb]asic|BASIC)[ \\t]+)(?<cred>[A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])'),
  replace: (m) => (isBasicCredential(m.groups?.['cred'] ?? '') ? `${m.groups?.['scheme']}${marker('basic-auth')}` : m[0]),
};

/** `curl -u user:password`, `--user user:password`. */
const curlUserRule: Rule = {
  kind: 'password',
  keywords: ['-u ', '--user '],
  pattern: rx('(?<![A-Za-z0-9-])(?<flag>(?:-u|--user)[ \\t]+[^\\s:]+:)(?<pw>[^\\s"\']+)'),
  replace: (m) => (isPlaceholder(m.groups?.['pw'] ?? '') ? m[0] : `${m.groups?.['flag']}${marker('password')}`),
};

/** URL query credentials with short names (`?sig=`, `&key=`, `?code=`) that would be too broad as keys elsewhere. */
const queryCredentialRule: Rule = {
  kind: 'url-credential',
  keywords: ['sig=', 'key=', 'code=', 'X-Amz-', 'X-Goog-', 'Signature='],
  pattern: rx('(?<k>[?&](?:sig|key|code|Signature|X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|X-Goog-Signature|X-Goog-Credential)=)(?<v>[^&#\\s"\'<>]+)'),
  replace: (m) => {
    const v = m.groups?.['v'] ?? '';
    return isPlaceholder(v) || v.startsWith(MARK) ? m[0] : `${m.groups?.['k']}${marker('url-credential')}`;
  },
};

/**
 * A quoted password in prose: `login failed with password 'Winter2026!'`, `the password is "X"`.
 * A quoted value right after the word (or after `is`/`was`) is the password, however it reads.
 */
const quotedPasswordRule: Rule = {
  kind: 'password',
  keywords: caseForms('pass', 'pwd'),
  pattern: rx(`(?<![A-Za-z0-9_])(?<key>(?:[Pp]ass(?:word|wd|phrase)?|PASS(?:WORD|WD|PHRASE)?|[Pp]wd|PWD))(?<sep>[ \\t]+(?:(?:is|was|of)[ \\t]+)?)(?:"(?<vd>[^"\\r\\n]{1,200})"|'(?<vs>[^'\\r\\n]{1,200})')`),
  replace(m) {
    const g = m.groups ?? {};
    const quote = g['vd'] !== undefined ? '"' : "'";
    const value = g['vd'] ?? g['vs'] ?? '';
    if (value.includes(MARK) || isPlaceholder(value)) return m[0];
    return `${g['key']}${g['sep']}${quote}${marker('password')}${quote}`;
  },
};

/** The context rules in the order they run on a line: the most specific notation first. */
export const CONTEXT_RULES: readonly Rule[] = [
  urlUserinfoRule,
  authorizationRule,
  bearerRule,
  basicRule,
  cookieRule,
  curlUserRule,
  gluedPasswordRule,
  queryCredentialRule,
  nameValueRule,
  keyValueRule,
  flagRule,
  spacedSettingRule,
  quotedPasswordRule,
];
