/**
 * Text order for sorting names: by UTF-16 code unit, the same on every host. `localeCompare`
 * would follow the host's locale (facts that "compare stably" would not, across machines), and
 * its first call loads ICU's collation data, which then stays: about 3 MB resident on Node 24
 * (a bare process, measured 2026-12-03), in a watch that sorts a container's two networks.
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
