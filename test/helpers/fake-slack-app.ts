/**
 * A local Slack for the app mode: the Web API over HTTP (`apps.connections.open`, `chat.postMessage`,
 * `chat.update`, `chat.postEphemeral`, form-encoded or JSON as the SDK sends them, with the bearer
 * token checked) and a Socket Mode WebSocket (the `ws` package) that says `hello`, delivers
 * `interactive` envelopes with block_actions payloads as Slack sends them, and records the acks.
 * https://docs.slack.dev/apis/events-api/using-socket-mode
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ApiCall {
  readonly method: string;
  readonly token: string;
  readonly args: Record<string, any>;
  readonly at: number;
}

export interface FakeSlackApp {
  /** SLACK_API_URL for the doctor. */
  readonly apiUrl: string;
  readonly calls: ApiCall[];
  readonly acks: string[];
  /** Socket Mode connections opened so far. */
  connections(): number;
  /** The next `n` calls of `method` answer 429 with this Retry-After (seconds). */
  rateLimit(method: string, n: number, retryAfterS: number): void;
  /** The next call of `method` answers `ok: false` with this error. */
  failNext(method: string, error: string): void;
  /** Sends a block_actions envelope for a click on `actionId` of a posted message; resolves when it is acked. */
  click(opts: { user: string; userName?: string; message: ApiCall; actionId: string }): Promise<void>;
  /** Asks the client to reconnect, as Slack does when it recycles a connection. */
  disconnect(): void;
  waitForCall(method: string, match?: (c: ApiCall) => boolean, timeoutMs?: number): Promise<ApiCall>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Record<string, any>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) return text ? (JSON.parse(text) as Record<string, any>) : {};
  const out: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    // The SDK form-encodes arrays and objects (blocks) as JSON strings.
    out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return out;
}

export async function startFakeSlackApp(opts: { botToken: string; appToken: string }): Promise<FakeSlackApp> {
  const calls: ApiCall[] = [];
  const acks: string[] = [];
  const limits = new Map<string, { n: number; retryAfterS: number }>();
  const failures = new Map<string, string>();
  const sockets = new Set<WebSocket>();
  let opened = 0;
  let seq = 1_700_000_000;
  const ackWaiters = new Map<string, () => void>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
      const args = await readBody(req);
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || String(args.token ?? '');
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const limit = limits.get(method);
      if (limit && limit.n > 0) {
        limit.n -= 1;
        calls.push({ method: `${method}#429`, token, args, at: Date.now() });
        return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfterS) });
      }
      const expected = method === 'apps.connections.open' ? opts.appToken : opts.botToken;
      if (token !== expected) return reply(200, { ok: false, error: 'invalid_auth' });
      calls.push({ method, token, args, at: Date.now() });
      const failure = failures.get(method);
      if (failure) {
        failures.delete(method);
        return reply(200, { ok: false, error: failure });
      }
      switch (method) {
        case 'apps.connections.open':
          return reply(200, { ok: true, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link/?ticket=${randomBytes(4).toString('hex')}` });
        case 'chat.postMessage':
          seq += 1;
          // Kept on the recorded call so a click can name the message it was on.
          args.__ts = `${seq}.000100`;
          return reply(200, { ok: true, channel: args.channel, ts: args.__ts, message: { text: args.text } });
        case 'chat.update':
          return reply(200, { ok: true, channel: args.channel, ts: args.ts });
        case 'chat.postEphemeral':
          return reply(200, { ok: true, message_ts: `${seq}.000200` });
        default:
          return reply(200, { ok: false, error: 'unknown_method' });
      }
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  const wss = new WebSocketServer({ server, path: '/link/' });
  wss.on('connection', (ws) => {
    opened += 1;
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { envelope_id?: string };
      if (msg.envelope_id) {
        acks.push(msg.envelope_id);
        ackWaiters.get(msg.envelope_id)?.();
      }
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake-slack', approximate_connection_time: 18060 }, connection_info: { app_id: 'A0TEST' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const app: FakeSlackApp = {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls,
    acks,
    connections: () => opened,
    rateLimit(method, n, retryAfterS) {
      limits.set(method, { n, retryAfterS });
    },
    failNext(method, error) {
      failures.set(method, error);
    },
    async click({ user, userName, message, actionId }) {
      const ws = [...sockets].at(-1);
      if (!ws) throw new Error('no Socket Mode connection');
      const blocks = (message.args.blocks ?? []) as Array<{ type: string; block_id?: string; elements?: Array<{ action_id: string; value: string }> }>;
      const actions = blocks.find((b) => b.type === 'actions');
      const button = actions?.elements?.find((e) => e.action_id === actionId);
      if (!actions || !button) throw new Error(`the message has no ${actionId} button`);
      const envelopeId = randomBytes(8).toString('hex');
      const acked = new Promise<void>((resolve) => ackWaiters.set(envelopeId, resolve));
      ws.send(JSON.stringify({
        envelope_id: envelopeId,
        type: 'interactive',
        accepts_response_payload: false,
        payload: {
          type: 'block_actions',
          user: { id: user, username: userName ?? user, name: userName ?? user, team_id: 'T0TEST' },
          api_app_id: 'A0TEST',
          team: { id: 'T0TEST', domain: 'test' },
          container: { type: 'message', message_ts: message.args.__ts, channel_id: message.args.channel, is_ephemeral: false },
          channel: { id: message.args.channel, name: 'ops' },
          message: { type: 'message', ts: message.args.__ts, text: message.args.text, blocks },
          trigger_id: '123.456.abc',
          response_url: `http://127.0.0.1:${port}/response`,
          actions: [{ type: 'button', action_id: actionId, block_id: actions.block_id, value: button.value, text: { type: 'plain_text', text: actionId }, action_ts: `${Date.now() / 1000}` }],
        },
      }));
      await acked;
    },
    disconnect() {
      for (const ws of sockets) ws.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake-slack' } }));
    },
    async waitForCall(method, match = () => true, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = calls.find((c) => c.method === method && match(c));
        if (found) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${method} call within ${timeoutMs} ms (calls: ${calls.map((c) => c.method).join(', ')})`);
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
  return app;
}
