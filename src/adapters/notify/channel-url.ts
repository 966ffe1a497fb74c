/**
 * NOTIFY_URLS entries, in the URL style people know from watchtower's shoutrrr and Apprise:
 * `<service>://…` with the service's secrets inside. This module splits off what every channel
 * shares (`?min_severity=`, `?containers=`, `?scheme=http`) and gives each URL a label that is
 * safe to print: scheme and host only, never a token, password or webhook path.
 */
import { ConfigError } from '../../core/errors.js';
import type { Severity } from '../../core/types.js';
import type { ChannelRoute } from './delivery-queue.js';

export const CHANNEL_SCHEMES = ['slack', 'discord', 'teams', 'ntfy', 'gotify', 'telegram', 'smtp', 'smtps', 'json', 'jsons', 'apprise', 'apprises'] as const;
export type ChannelScheme = (typeof CHANNEL_SCHEMES)[number];

/** Query parameters the doctor reads itself; every other one stays with the service URL. */
const ROUTING_PARAMS = ['min_severity', 'containers', 'scheme'] as const;

export interface ChannelUrl {
  readonly scheme: ChannelScheme;
  /** The URL without the routing parameters (a WHATWG URL of the custom scheme). */
  readonly url: URL;
  readonly route: ChannelRoute;
  /** `http:` or `https:` for the request, from `?scheme=` (default https; json://, apprise:// are http). */
  readonly protocol: 'http:' | 'https:';
  /** Printable: `discord://discord.com/…`. */
  readonly label: string;
  /** Every part of the URL that may be a secret, for the redactor. */
  readonly secrets: readonly string[];
}

/** Splits NOTIFY_URLS on commas and whitespace (a Teams URL's own commas are %-encoded). */
export function splitNotifyUrls(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function parseChannelUrl(raw: string, setting = 'NOTIFY_URLS'): ChannelUrl {
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
  const scheme = schemeMatch?.[1]?.toLowerCase();
  if (!scheme) throw new ConfigError(`${setting}: an entry starting "${raw.slice(0, 6)}…" is not a channel URL (expected slack://, discord://, ntfy://, ...)`);
  if (scheme === 'http' || scheme === 'https') {
    throw new ConfigError(`${setting}: a plain ${scheme}:// URL does not say which service it is: write slack://, discord://, teams://, ... in place of ${scheme}://, or json${scheme === 'https' ? 's' : ''}:// for a generic webhook`);
  }
  if (!(CHANNEL_SCHEMES as readonly string[]).includes(scheme)) {
    throw new ConfigError(`${setting}: unknown channel ${scheme}:// (known: ${CHANNEL_SCHEMES.map((s) => `${s}://`).join(', ')})`);
  }
  const known = scheme as ChannelScheme;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${setting}: ${known}:// URL is not a valid URL`);
  }
  const label = `${known}://${url.host || '…'}/…`;
  if (!url.hostname) throw new ConfigError(`${setting}: ${label} has no host`);

  const minRaw = url.searchParams.get('min_severity');
  let minSeverity: Severity | undefined;
  if (minRaw !== null) {
    const v = minRaw.trim().toLowerCase();
    if (v !== 'low' && v !== 'medium' && v !== 'high') throw new ConfigError(`${setting}: ${label} min_severity must be low, medium or high (got ${JSON.stringify(shorten(minRaw))})`);
    minSeverity = v;
  }
  const containers = (url.searchParams.get('containers') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const schemeParam = url.searchParams.get('scheme')?.trim().toLowerCase();
  if (schemeParam !== undefined && schemeParam !== 'http' && schemeParam !== 'https') {
    throw new ConfigError(`${setting}: ${label} scheme must be http or https (got ${JSON.stringify(shorten(schemeParam))})`);
  }
  const plainByDefault = known === 'json' || known === 'apprise';
  const protocol = schemeParam ? (`${schemeParam}:` as 'http:' | 'https:') : plainByDefault ? 'http:' : 'https:';
  for (const p of ROUTING_PARAMS) url.searchParams.delete(p);

  return {
    scheme: known,
    url,
    route: { ...(minSeverity ? { minSeverity } : {}), ...(containers.length > 0 ? { containers } : {}) },
    protocol,
    label,
    secrets: secretsOf(raw, url),
  };
}

/** Userinfo, path segments and query values: any of them can carry a token in some service's URL. */
function secretsOf(raw: string, url: URL): string[] {
  const parts = [raw, url.href, decode(url.username), decode(url.password), `${decode(url.username)}:${decode(url.password)}`];
  for (const segment of url.pathname.split('/')) parts.push(decode(segment));
  for (const [, value] of url.searchParams) parts.push(value);
  // Short parts ("api", "v1", "443") would wreck every message they appear in; real tokens are longer.
  return [...new Set(parts.filter((p) => p.length >= 8))];
}

export function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function shorten(s: string): string {
  return s.length > 40 ? `${s.slice(0, 20)}…` : s;
}

/** Every secret inside the channel URLs (NOTIFY_URLS), for the doctor-wide redactor. */
export function notifySecrets(config: { readonly notify: { readonly urls: readonly string[] } }): string[] {
  return config.notify.urls.flatMap((raw) => {
    try {
      return [...parseChannelUrl(raw).secrets];
    } catch {
      return [raw];
    }
  });
}
