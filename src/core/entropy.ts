/**
 * How random a token looks. Used to tell credentials from ordinary identifiers where no provider
 * prefix or key name says "secret": git SHAs, UUIDs, digests and words must stay readable.
 */

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Hex only (with optional dashes): git SHAs, UUIDs, container ids, content hashes. */
const HEX_ID = /^[0-9a-fA-F-]+$/;

/** A value with some randomness: at least 8 characters mixing digits and letters, or mixed case. */
export function looksRandom(value: string): boolean {
  if (value.length < 8) return false;
  const digit = /\d/.test(value);
  const lower = /[a-z]/.test(value);
  const upper = /[A-Z]/.test(value.slice(1));
  return (digit && (lower || upper)) || (lower && upper);
}

/**
 * Base64 of readable text or JSON (`SGVsbG8sIHRoaXMg...`, `eyJldmVudCI6...`): a payload, not a
 * key. Credentials decode to bytes, or to `user:password` without spaces or quotes.
 */
function isEncodedText(token: string): boolean {
  if (!/^[A-Za-z0-9+/_-]+$/.test(token)) return false;
  let decoded: string;
  try {
    decoded = atob(token.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(token.length / 4) * 4, '='));
  } catch {
    return false;
  }
  return /^[\x20-\x7e\t\r\n]+$/.test(decoded) && /[ "{]/.test(decoded);
}

/**
 * A value under a weak key (`key`, `session`, `sid`, ...) that is a credential: long enough, one
 * run of token characters (not `user:42:profile`), not hex or a UUID, and random-looking.
 */
export function isRandomValue(value: string): boolean {
  if (value.length < 16 || !/^[A-Za-z0-9+/=_.%-]+$/.test(value) || HEX_ID.test(value)) return false;
  return looksRandom(value) && shannonEntropy(value) >= 3.5;
}

/** Characters of a credential-looking token found anywhere (base64, base64url); `=` only as trailing padding. */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-') TOKEN_CHAR[c.charCodeAt(0)] = 1;

/** Long tokens shorter than this are never judged by entropy alone. */
export const MIN_FREE_TOKEN_LENGTH = 32;

/**
 * A token outside any secret context that is a credential with high probability: long, mixing
 * upper case, lower case and digits, near the entropy of random base62/base64, and not hex (hex
 * is what hashes, ids and digests are written in). English-like identifiers
 * (`AbstractSingletonProxyFactoryBean`) stay below the entropy bar.
 */
export function isCredentialLike(token: string): boolean {
  const core = token.replace(/=+$/, '');
  if (core.length < MIN_FREE_TOKEN_LENGTH || HEX_ID.test(core) || HASHED.test(core) || isEncodedText(core)) return false;
  let upper = 0;
  let lower = 0;
  let digit = 0;
  for (let i = 0; i < core.length; i += 1) {
    const c = core.charCodeAt(i);
    if (c >= 65 && c <= 90) upper += 1;
    else if (c >= 97 && c <= 122) lower += 1;
    else if (c >= 48 && c <= 57) digit += 1;
  }
  if (upper < 2 || lower < 2 || digit < 2) return false;
  // Path-like (`/usr/lib/...`, `a/b/c/d/e`): judge each segment, not the whole path.
  if (core.includes('/') && (core.startsWith('/') || core.includes('//') || core.split('/').length > 4)) {
    return core.split('/').some((segment) => segment.length >= MIN_FREE_TOKEN_LENGTH && isCredentialLike(segment));
  }
  // Random base62 text of this length has about 4.5+ bits per character; identifiers and words far less.
  return shannonEntropy(core) >= Math.min(4.2, Math.log2(core.length) - 0.7);
}

/** A content hash named by its algorithm (`sha512-...` in lock files and SRI attributes). */
const HASHED = /^(?:sha(?:1|224|256|384|512)|md5)-/i;

/** Prefixes of content hashes written in base64 (`sha512-...` in lock files, `h1:` in go.sum). */
const HASH_PREFIX = /(?:sha(?:1|224|256|384|512)[-:~]|h1:|md5[-:]|integrity["=: ]+)$/i;

/**
 * Calls `onToken` for every maximal run of token characters at least `MIN_FREE_TOKEN_LENGTH` long
 * that is not introduced by a hash prefix. A plain loop: much faster than a regex with a
 * character-class run on ordinary log text.
 */
export function scanLongTokens(text: string, onToken: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TOKEN_CHAR[c] === 0) {
      i += 1;
      continue;
    }
    const start = i;
    i += 1;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d >= 128 || TOKEN_CHAR[d] === 0) break;
      i += 1;
    }
    while (i < n && text.charCodeAt(i) === 61) i += 1; // `=` padding ends a base64 token
    if (i - start >= MIN_FREE_TOKEN_LENGTH && !HASH_PREFIX.test(text.slice(Math.max(0, start - 12), start))) onToken(start, i);
  }
}
