/**
 * Lines that read like failures but report none, in shapes popular images print on healthy
 * hosts. Each entry says why it is noise and where that is shown, so the list stays a record of
 * evidence rather than a list of exceptions. The detector consults it only for lines that hold a
 * failure word; a line with a word that is always an error (a panic, an OOM, a full disk) stays
 * an error.
 */

/** One shape of noise. */
export interface NoiseShape {
  readonly pattern: RegExp;
  /** Why the line reports no failure. */
  readonly why: string;
  /** Where the maintainers or the logs show it is harmless. */
  readonly source: string;
}

export const KNOWN_NOISE: readonly NoiseShape[] = [
  {
    // Update checkers and telemetry on hosts without internet access: the service works, only
    // its call home fails (issue 15: "an update checker that cannot reach the internet").
    pattern: /\b(?:update check|check(?:ing)? for (?:updates?|new versions?)|version ?check|latest version|new version available|usage stats|usage report|telemetry|phone[- ]home)\b/i,
    why: 'an update, version or telemetry check that could not reach the internet',
    source: 'https://github.com/grafana/grafana/issues/5079',
  },
  {
    // A container cannot read many host tunables under /sys and /proc/sys; databases probe them
    // to print advice (NUMA, transparent huge pages) and carry on.
    pattern: /(?:failed to (?:read|probe|open)|cannot (?:read|detect|probe)|permission denied)\b.*(?:\/sys\/(?:kernel|devices|fs)\/|\/proc\/sys\/)|(?:\/sys\/(?:kernel|devices|fs)\/|\/proc\/sys\/)\S*.*(?:failed to (?:read|probe)|permission denied)/i,
    why: 'a host tunable the container may not read, probed only to print advice',
    source: 'https://github.com/docker-library/mongo/issues/488',
  },
  {
    // The official nginx image's entrypoint helper says "error:" when it leaves a customised
    // default.conf alone; nginx itself starts normally (later images print "info:").
    pattern: /10-listen-on-ipv6-by-default\.sh: (?:error: |info: )?.*(?:differs from the packaged version|is not a file or does not exist|read-only)/,
    why: "the nginx image's IPv6 helper skipping a customised configuration",
    source: 'https://github.com/10up/wp-local-docker-v2/issues/154',
  },
];

/** The noise shape a line has, if any. */
export function knownNoise(text: string): NoiseShape | undefined {
  return KNOWN_NOISE.find((n) => n.pattern.test(text));
}
