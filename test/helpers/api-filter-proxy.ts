/**
 * A filtering Docker socket proxy for tests, in the spirit of tecnativa/docker-socket-proxy and
 * wollomatic/socket-proxy: it listens on its own unix socket, forwards the requests that match an
 * allow-list to the engine's socket, answers 403 to the rest, and records every request, so a test
 * can prove the doctor needs no more of the Engine API than docs/sidecar.md grants.
 */
import { request, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { chmod, chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** One allowed call: the method and a pattern for the path (query string excluded). */
export interface AllowedCall {
  readonly method: string;
  readonly path: RegExp;
}

/** The Engine API paths may carry a version prefix (`/v1.41/containers/json`) or none. */
const V = String.raw`(?:/v\d+\.\d+)?`;
const ID = String.raw`[a-zA-Z0-9][a-zA-Z0-9_.-]*`;

/** Every Engine API call the doctor makes, as docs/sidecar.md lists them. */
export const DOCTOR_API_CALLS: readonly AllowedCall[] = [
  { method: 'GET', path: new RegExp(`^${V}/_ping$`) },
  { method: 'GET', path: new RegExp(`^${V}/containers/json$`) },
  { method: 'GET', path: new RegExp(`^${V}/containers/${ID}/json$`) },
  { method: 'GET', path: new RegExp(`^${V}/containers/${ID}/logs$`) },
  { method: 'GET', path: new RegExp(`^${V}/events$`) },
  { method: 'POST', path: new RegExp(`^${V}/containers/${ID}/stop$`) },
  { method: 'POST', path: new RegExp(`^${V}/containers/${ID}/start$`) },
];

/**
 * The allow-list a compose file gives wollomatic/socket-proxy (`-allowGET=<regexp>` and so on),
 * anchored as that proxy anchors it and matched, as it does, against the path alone.
 */
export async function readComposeAllowList(composeFile: string): Promise<AllowedCall[]> {
  const text = await readFile(composeFile, 'utf8');
  const calls: AllowedCall[] = [];
  for (const match of text.matchAll(/^\s*-\s*'?-allow([A-Z]+)=(.+?)'?\s*$/gm)) {
    calls.push({ method: match[1]!, path: new RegExp(`^(?:${match[2]!})$`) });
  }
  if (calls.length === 0) throw new Error(`no -allow<METHOD>= lines in ${composeFile}`);
  return calls;
}

/** A request the proxy saw. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly allowed: boolean;
}

export interface ApiFilterProxy {
  /** The proxy's socket, to mount where the engine's would go. */
  readonly socketPath: string;
  readonly seen: readonly SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts the proxy in front of `engineSocket`. Its socket gets the engine socket's group and mode
 * 0660, so the same `group_add` grants access to it.
 */
export async function startApiFilterProxy(engineSocket: string, allowed: readonly AllowedCall[] = DOCTOR_API_CALLS): Promise<ApiFilterProxy> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-api-proxy-'));
  await chmod(dir, 0o755);
  const socketPath = path.join(dir, 'docker.sock');
  const seen: SeenRequest[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const pathname = url.split('?')[0] ?? url;
    const ok = allowed.some((a) => a.method === method && a.path.test(pathname));
    seen.push({ method, url, allowed: ok });
    if (!ok) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `forbidden by the test proxy: ${method} ${pathname}` }));
      return;
    }
    const upstream = request({ socketPath: engineSocket, method, path: url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `test proxy: ${error.message}` }));
    });
    // A client that goes away (the doctor stopping) ends the upstream events stream too.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  const engine = await stat(engineSocket);
  await chown(socketPath, 0, engine.gid).catch(() => undefined);
  await chmod(socketPath, 0o660);

  return {
    socketPath,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
