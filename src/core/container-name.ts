/**
 * Container names and ids as Docker accepts them: a name matches `[a-zA-Z0-9][a-zA-Z0-9_.-]*`
 * (the daemon's own rule, `restrictedNameChars` in moby's daemon/names), and an id or id prefix
 * is hex, which the same rule admits. Docker prints names with a leading `/`; one is allowed.
 * Anything else (empty, control bytes, `../../containers/json`) is refused before it reaches
 * an Engine API path.
 */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Longer than any name Docker would create (it rejects names over 255 bytes in practice). */
const MAX_LENGTH = 255;

/** Why `ref` is not a container name or id, or null when it is one. */
export function checkContainerRef(ref: string): string | null {
  const name = ref.startsWith('/') ? ref.slice(1) : ref;
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_LENGTH) return `it is longer than ${MAX_LENGTH} characters`;
  if (NAME.test(name)) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return 'it contains control characters';
  return 'names use letters, digits, "_", "." and "-", starting with a letter or digit; ids are hex';
}

/** The name or id without Docker's leading `/`, or an error message naming `what`. */
export function parseContainerRef(ref: string, what: string): { ok: true; ref: string } | { ok: false; message: string } {
  const problem = checkContainerRef(ref);
  if (problem) return { ok: false, message: `${what} ${JSON.stringify(ref)} is not a container name or id: ${problem}` };
  return { ok: true, ref: ref.startsWith('/') ? ref.slice(1) : ref };
}
