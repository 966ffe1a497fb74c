/**
 * Which engine to use when DOCKER_HOST is unset, in the docker CLI's order
 * (docker/cli cli/command/cli.go resolveContextName, cli/context/store):
 *   1. DOCKER_CONTEXT, else the `currentContext` of $DOCKER_CONFIG/config.json (default ~/.docker);
 *      a context's endpoint is in contexts/meta/<sha256 of its name>/meta.json. `default` means
 *      no context: the steps below.
 *   2. The system socket /var/run/docker.sock, when it exists.
 *   3. The rootless daemon's socket, $XDG_RUNTIME_DIR/docker.sock
 *      (https://docs.docker.com/engine/security/rootless/).
 *   4. Docker Desktop's socket: ~/.docker/desktop/docker.sock on Linux, ~/.docker/run/docker.sock on macOS.
 * Steps 2 to 4 are what the CLI's own `default` context and the installers' contexts point at;
 * the doctor probes them so it also works where no context was ever created (a bare `sudo` or a
 * service account). When nothing exists, the system socket (the error then names it).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, describeError } from '../core/errors.js';

export interface DiscoveredEngine {
  /** A DOCKER_HOST entry. */
  readonly host: string;
  /** How it was found, for `doctor config` and `doctor diagnose`. */
  readonly how: string;
}

export interface DiscoveryEnv {
  readonly DOCKER_CONTEXT?: string | undefined;
  readonly DOCKER_CONFIG?: string | undefined;
  readonly XDG_RUNTIME_DIR?: string | undefined;
  readonly HOME?: string | undefined;
}

const SYSTEM_SOCKET = '/var/run/docker.sock';

export function discoverEngine(env: DiscoveryEnv, exists: (file: string) => boolean = existsSync): DiscoveredEngine {
  const configDir = env.DOCKER_CONFIG && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : path.join(env.HOME ?? '', '.docker');
  const fromEnv = env.DOCKER_CONTEXT !== undefined && env.DOCKER_CONTEXT !== '';
  const context = fromEnv ? env.DOCKER_CONTEXT! : readCurrentContext(configDir);
  if (context !== undefined && context !== 'default') {
    const host = readContextHost(configDir, context, fromEnv ? 'DOCKER_CONTEXT' : `${path.join(configDir, 'config.json')} currentContext`);
    return { host, how: `docker context "${context}"${fromEnv ? ' (DOCKER_CONTEXT)' : ''}` };
  }
  const candidates: Array<[string | undefined, string]> = [
    [SYSTEM_SOCKET, 'the system socket'],
    [env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'docker.sock') : undefined, 'the rootless socket, $XDG_RUNTIME_DIR/docker.sock'],
    [env.HOME ? path.join(env.HOME, '.docker', 'desktop', 'docker.sock') : undefined, "Docker Desktop's socket"],
    [env.HOME ? path.join(env.HOME, '.docker', 'run', 'docker.sock') : undefined, "Docker Desktop's socket"],
  ];
  for (const [socket, how] of candidates) {
    if (socket && exists(socket)) return { host: `unix://${socket}`, how };
  }
  return { host: `unix://${SYSTEM_SOCKET}`, how: 'no known socket exists; the docker CLI default' };
}

function readCurrentContext(configDir: string): string | undefined {
  const file = path.join(configDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined; // no docker CLI configuration: the default context
  }
  try {
    const current = (JSON.parse(text) as { currentContext?: unknown }).currentContext;
    return typeof current === 'string' && current !== '' ? current : undefined;
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON (${describeError(error)}); fix it or set DOCKER_HOST`, { cause: error });
  }
}

/** The docker CLI stores a context under the hex SHA-256 of its name. */
function readContextHost(configDir: string, name: string, namedBy: string): string {
  const id = createHash('sha256').update(name).digest('hex');
  const file = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: { Endpoints?: { docker?: { Host?: unknown } } };
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as typeof meta;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ConfigError(
      missing ? `docker context "${name}" (from ${namedBy}) does not exist; see \`docker context ls\`` : `docker context "${name}": cannot read ${file}: ${describeError(error)}`,
      { cause: error },
    );
  }
  const host = meta.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || host === '') throw new ConfigError(`docker context "${name}" has no docker endpoint (${file})`);
  return host;
}
