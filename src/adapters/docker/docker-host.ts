/**
 * Parsing one DOCKER_HOST entry into where and how to connect. Pure: the environment comes in as
 * an argument and certificate files are only named here, read by the engine factory.
 */
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';

/** Where the Docker CLI and dockerode look when DOCKER_HOST is unset. */
export const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';

/** TLS settings for a tcp engine, following the Docker CLI's environment variables. */
export interface DockerTls {
  /** Verify the daemon's certificate against `ca.pem` (DOCKER_TLS_VERIFY). */
  readonly verify: boolean;
  /** Directory holding `ca.pem`, `cert.pem`, `key.pem` (DOCKER_CERT_PATH, default ~/.docker). */
  readonly certPath: string;
}

/** How to reach one engine. */
export type DockerEndpoint =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: DockerTls | null }
  | { readonly kind: 'ssh'; readonly host: string; readonly port: number; readonly username: string | undefined };

/** The environment variables the parser reads besides the host itself. */
export interface DockerHostEnv {
  readonly DOCKER_TLS_VERIFY?: string | undefined;
  readonly DOCKER_TLS?: string | undefined;
  readonly DOCKER_CERT_PATH?: string | undefined;
  readonly HOME?: string | undefined;
}

/**
 * Parses one DOCKER_HOST entry: `unix:///path`, `npipe:////./pipe/name`, `tcp://host[:port]`
 * (also `host:port` without a scheme, as dockerode accepts), `ssh://[user@]host[:port]`.
 * An empty entry means the default local socket. Throws ConfigError naming DOCKER_HOST.
 */
export function parseDockerHost(host: string, env: DockerHostEnv = {}): DockerEndpoint {
  const entry = host.trim();
  if (entry === '') return { kind: 'socket', socketPath: DEFAULT_SOCKET_PATH };
  if (entry.startsWith('unix://')) {
    return { kind: 'socket', socketPath: entry.slice('unix://'.length) || DEFAULT_SOCKET_PATH };
  }
  if (entry.startsWith('npipe://')) {
    return { kind: 'socket', socketPath: entry.slice('npipe://'.length) || '//./pipe/docker_engine' };
  }

  const url = parseUrl(entry.includes('://') ? entry : `tcp://${entry}`, host);
  switch (url.protocol) {
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = readTls(env, url.protocol === 'https:');
      // The Docker CLI's defaults: 2376 is the TLS port, 2375 the plain one.
      const port = url.port === '' ? (tls ? 2376 : 2375) : Number(url.port);
      return { kind: 'tcp', host: requireHostname(url, host), port, tls };
    }
    case 'ssh:':
      return {
        kind: 'ssh',
        host: requireHostname(url, host),
        port: url.port === '' ? 22 : Number(url.port),
        username: url.username === '' ? undefined : decodeURIComponent(url.username),
      };
    default:
      throw new ConfigError(
        `DOCKER_HOST entry "${host}" has an unsupported scheme "${url.protocol.replace(/:$/, '')}"; use unix://, tcp:// or ssh://`,
      );
  }
}

/**
 * TLS as the Docker CLI decides it: any non-empty DOCKER_TLS_VERIFY turns on TLS with
 * verification (even "0", as in the CLI), DOCKER_TLS turns on TLS without it.
 * https://docs.docker.com/reference/cli/docker/#environment-variables
 */
function readTls(env: DockerHostEnv, forced: boolean): DockerTls | null {
  const verify = nonEmpty(env.DOCKER_TLS_VERIFY);
  if (!verify && !nonEmpty(env.DOCKER_TLS) && !forced) return null;
  const certPath = nonEmpty(env.DOCKER_CERT_PATH)
    ? env.DOCKER_CERT_PATH!
    : path.join(env.HOME ?? '', '.docker');
  return { verify, certPath };
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

function parseUrl(text: string, original: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new ConfigError(
      `DOCKER_HOST entry "${original}" is not a valid address; expected unix:///path, tcp://host:port or ssh://user@host`,
    );
  }
}

function requireHostname(url: URL, original: string): string {
  // URL keeps IPv6 literals in brackets; sockets want them bare.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (hostname === '') throw new ConfigError(`DOCKER_HOST entry "${original}" names no host`);
  return hostname;
}
