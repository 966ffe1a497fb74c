import type { AuditRecord } from '../../core/types.js';
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineStatus } from '../../pipeline/ports.js';
import type { MetricsSnapshot } from './metrics-text.js';
import { ConfigError } from '../../core/errors.js';

/** What /health reports about one engine: the watcher's own status, as it is. */
export type EngineHealth = EngineStatus;

/** Everything the endpoint reads; all of it is already free of secrets. */
export interface HealthSources {
  readonly version: string;
  /** The audit log's incidents, newest first (decisions joined to their outcomes). */
  history(query: { readonly limit: number; readonly container?: string }): Promise<readonly AuditRecord[]>;
  engines(): readonly EngineHealth[];
  snapshot(): MetricsSnapshot;
  /** The Prometheus exposition for /metrics. */
  metrics(): Promise<{ contentType: string; text: string }>;
  /** The channels whose last message was given up on, by their printable names. */
  failingChannels(): readonly string[];
  /** One line per STATE_DIR file that cannot be written (a full or read-only disk). */
  storageProblems?(): readonly string[];
  /** More sections of the /health document (the Slack app, approvals, snoozes) and the problems they see. */
  extras?(): { readonly sections: Record<string, unknown>; readonly problems: readonly string[] };
}

export interface HealthServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly token?: string;
  readonly sources: HealthSources;
  /** More endpoints on the same server (control, UI), tried in order before the built-in ones. */
  readonly routes?: readonly HttpRoute[];
}

/**
 * An endpoint mounted beside /health: it answers the requests it owns (returning true) and does
 * its own authorisation, since the UI's cookie and the control endpoints' rules differ from /health's.
 */
export interface HttpRoute {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

const HISTORY_DEFAULT = 50;
const HISTORY_MAX = 1000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares digests so the check takes the same time whatever the guess. */
export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

export function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json; charset=utf-8'): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Builds the /health document and its status code. */
export function buildHealth(sources: HealthSources): { status: number; body: Record<string, unknown> } {
  const engines = sources.engines();
  const snap = sources.snapshot();
  const problems: string[] = [];
  for (const e of engines) {
    if (!e.connected) problems.push(`docker ${e.host || 'local'} unreachable${e.lastError ? `: ${e.lastError}` : ''}`);
    else if (!e.eventsStreaming) problems.push(`docker ${e.host || 'local'} events stream down`);
  }
  for (const channel of sources.failingChannels()) problems.push(`${channel} delivery failing`);
  for (const p of sources.storageProblems?.() ?? []) problems.push(`storage: ${p}`);
  const extras = sources.extras?.();
  problems.push(...(extras?.problems ?? []));
  const lastCycle = engines
    .filter((e) => e.lastCycleAt !== null)
    .sort((a, b) => (a.lastCycleAt! < b.lastCycleAt! ? 1 : -1))[0];
  const body = {
    status: problems.length === 0 ? 'healthy' : 'degraded',
    problems,
    version: sources.version,
    uptimeSeconds: Math.round(snap.uptimeSeconds),
    docker: engines,
    targets: engines.reduce((n, e) => n + e.targets, 0),
    totals: snap.totals,
    restartsPerContainer: snap.restartsPerContainer,
    diagnoses: snap.diagnoses,
    slack: snap.slack,
    channels: snap.channels ?? [],
    diagnosisBackends: snap.backends ?? [],
    lastCycle: lastCycle ? { at: lastCycle.lastCycleAt, durationMs: lastCycle.lastCycleMs } : null,
    ...extras?.sections,
  };
  return { status: problems.length === 0 ? 200 : 503, body };
}

async function handleHistory(url: URL, res: ServerResponse, sources: HealthSources): Promise<void> {
  const limitText = url.searchParams.get('limit');
  let limit = HISTORY_DEFAULT;
  if (limitText !== null) {
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > HISTORY_MAX) {
      send(res, 400, { error: `limit must be a whole number from 1 to ${HISTORY_MAX}` });
      return;
    }
    limit = Number(limitText);
  }
  const container = url.searchParams.get('container');
  if (container !== null && (container.length === 0 || container.length > 256)) {
    send(res, 400, { error: 'container must be a container name or id' });
    return;
  }
  for (const key of url.searchParams.keys()) {
    if (key !== 'limit' && key !== 'container') {
      send(res, 400, { error: `unknown query parameter ${JSON.stringify(key)}` });
      return;
    }
  }
  const records = await sources.history({ limit, ...(container ? { container } : {}) });
  send(res, 200, { incidents: records });
}

/** A listen failure as one line naming the setting to change. */
function listenError(error: NodeJS.ErrnoException, options: HealthServerOptions): Error {
  const where = `${options.host}:${options.port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new ConfigError(`HEALTH_PORT ${options.port} is already in use on ${options.host} (set HEALTH_PORT to a free port, or 0 to turn the endpoint off)`, { cause: error });
    case 'EACCES':
      return new ConfigError(`HEALTH_PORT ${options.port} needs privileges to listen on ${options.host} (EACCES); use a port above 1023`, { cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new ConfigError(`HEALTH_HOST ${JSON.stringify(options.host)} does not resolve (${error.code})`, { cause: error });
    case 'EADDRNOTAVAIL':
      return new ConfigError(`HEALTH_HOST ${JSON.stringify(options.host)} is not an address of this machine (EADDRNOTAVAIL)`, { cause: error });
    default:
      return new ConfigError(`cannot listen on ${where} for /health (HEALTH_HOST, HEALTH_PORT): ${error.code ?? error.message}`, { cause: error });
  }
}

/** Serves GET /health, /history and /metrics, and any routes it is given. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { sources } = options;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://doctor.local');
      for (const route of options.routes ?? []) if (await route.handle(req, res, url)) return;
      const known = ['/health', '/history', '/metrics'].includes(url.pathname);
      if (!known) return send(res, 404, { error: 'not found' });
      if (!authorized(req, options.token)) {
        res.setHeader('www-authenticate', 'Bearer');
        return send(res, 401, { error: 'unauthorized' });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return send(res, 405, { error: 'method not allowed' });
      }
      if (url.pathname === '/health') {
        const { status, body } = buildHealth(sources);
        return send(res, status, body);
      }
      if (url.pathname === '/metrics') {
        const { contentType, text } = await sources.metrics();
        return send(res, 200, text, contentType);
      }
      return handleHistory(url, res, sources);
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy(error as Error);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error as NodeJS.ErrnoException, options)));
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
