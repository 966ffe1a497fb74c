/**
 * HTTP to one Docker Engine over its unix socket, TCP, TLS or ssh, with node:http alone: the few
 * Engine API calls the doctor makes do not need dockerode, whose dependencies (ssh2 eagerly,
 * gRPC and protobuf for BuildKit sessions) cost about 25 MB of memory and most of the start-up
 * time of every command (issue 14). Paths are unversioned, as dockerode sends them: the engine
 * answers with its own current API version.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { ConfigError, describeError } from '../../core/errors.js';
import type { DockerEndpoint } from './docker-host.js';
import { createSshAgent } from './ssh-agent.js';

/** An answer with a status of 400 or more; `json` is the engine's `{ message }` body when it sent one. */
export class EngineHttpError extends Error {
  readonly statusCode: number;
  readonly json: { message?: unknown } | undefined;

  constructor(statusCode: number, body: string) {
    const json = parseJson(body);
    const daemon = typeof json?.message === 'string' ? json.message : body.trim();
    super(`(HTTP code ${statusCode}) ${daemon}`);
    this.name = 'EngineHttpError';
    this.statusCode = statusCode;
    this.json = json;
  }
}

export type Query = Readonly<Record<string, string | number | boolean | object | undefined>>;

export interface EngineRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Query;
  readonly signal: AbortSignal;
}

/** Where the environment for TLS and ssh comes from. */
export interface EngineTransportEnv {
  readonly SSH_AUTH_SOCK?: string | undefined;
}

/** Requests to one engine, over connections kept alive between calls. */
export class EngineHttp {
  readonly #base: http.RequestOptions;
  readonly #client: typeof http | typeof https;

  constructor(endpoint: DockerEndpoint, env: EngineTransportEnv = {}) {
    const { base, client } = transportFor(endpoint, env);
    this.#base = base;
    this.#client = client;
  }

  /**
   * The response once its status line arrived, its body still unread. A status of 400 or more
   * is read and thrown as EngineHttpError; connection failures reject with Node's own error
   * (its `code`: ENOENT, ECONNREFUSED, ...), an abort with the signal's AbortError.
   */
  open(request: EngineRequest): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.#client.request(
        { ...this.#base, method: request.method, path: request.path + encodeQuery(request.query), signal: request.signal },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 400) return resolve(res);
          readBody(res).then((body) => reject(new EngineHttpError(status, body)), reject);
        },
      );
      req.once('error', reject);
      req.end();
    });
  }

  /** The whole body parsed as JSON (for a 204 or an empty body, undefined). */
  async json<T>(request: EngineRequest): Promise<T> {
    const body = await readBody(await this.open(request));
    return (body === '' ? undefined : JSON.parse(body)) as T;
  }

  /** Sends the request and discards the body. */
  async send(request: EngineRequest): Promise<void> {
    await readBody(await this.open(request));
  }

  close(): void {
    (this.#base.agent as http.Agent | undefined)?.destroy();
  }
}

/**
 * For a connection without TLS: no server name to send. Left unset, Node's agent works one out of
 * the Host header for every request, testing it with net.isIP, whose first call compiles the
 * IPv6 pattern: 3-4 ms of each one-shot command (`doctor diagnose`), for a name TLS alone uses.
 */
const NO_TLS_SERVER_NAME = { servername: '' } as const;

function transportFor(endpoint: DockerEndpoint, env: EngineTransportEnv): { base: http.RequestOptions; client: typeof http | typeof https } {
  // A few connections kept open: a cycle makes at most 8 calls at once per engine, plus the events stream.
  const pool = { keepAlive: true, maxFreeSockets: 4 } as const;
  switch (endpoint.kind) {
    case 'socket':
      return { base: { ...NO_TLS_SERVER_NAME, socketPath: endpoint.socketPath, agent: new http.Agent(pool) }, client: http };
    case 'ssh':
      // As the docker CLI does: `docker system dial-stdio` on the remote host, the ssh channel as the connection.
      return { base: { ...NO_TLS_SERVER_NAME, host: endpoint.host, agent: createSshAgent(endpoint, env.SSH_AUTH_SOCK) }, client: http };
    case 'tcp': {
      if (!endpoint.tls) return { base: { ...NO_TLS_SERVER_NAME, host: endpoint.host, port: endpoint.port, agent: new http.Agent(pool) }, client: http };
      const { certPath, verify } = endpoint.tls;
      const ca = readCert(certPath, 'ca.pem', verify);
      const cert = readCert(certPath, 'cert.pem', false);
      const key = readCert(certPath, 'key.pem', false);
      // DOCKER_TLS without DOCKER_TLS_VERIFY: encrypted, but the daemon's certificate is not checked.
      const agent = new https.Agent({ ...pool, ca, cert, key, rejectUnauthorized: verify });
      return { base: { host: endpoint.host, port: endpoint.port, agent }, client: https };
    }
  }
}

function readCert(dir: string, file: string, required: boolean): Buffer | undefined {
  const full = path.join(dir, file);
  try {
    return fs.readFileSync(full);
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`DOCKER_CERT_PATH: cannot read ${full}: ${describeError(error)}`, { cause: error });
  }
}

/** Objects (filters) go as JSON, as the Engine API expects; booleans as 1 and 0. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, typeof value === 'object' ? JSON.stringify(value) : typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(body: string): { message?: unknown } | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    return value !== null && typeof value === 'object' ? (value as { message?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}
