/**
 * A local stand-in for the Anthropic Messages API on 127.0.0.1, for driving the real SDK in tests.
 * It records every request and answers each one with the next scripted reply (or the default).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined when it was not JSON). */
  readonly body: any;
  readonly raw: string;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type FakeReply =
  /** A forced tool call answered with `input`. */
  | { kind: 'tool'; input: unknown; name?: string; model?: string; usage?: Partial<Usage>; stopReason?: string }
  /** Prose only, no tool call. */
  | { kind: 'text'; text: string; stopReason?: string }
  /** `stop_reason: "refusal"` with no content. */
  | { kind: 'refusal' }
  /** An API error with the documented body `{type: "error", error: {type, message}}`. */
  | { kind: 'error'; status: number; type: string; message?: string; headers?: Record<string, string> }
  /** Any status, headers and body. */
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> }
  /** Never answers; the socket stays open until the server closes. */
  | { kind: 'hang' };

export const GOOD_DIAGNOSIS = {
  root_cause: 'The process exceeded its 256 MiB memory limit and was killed by the kernel (exit 137, OOMKilled).',
  severity: 'high',
  suggested_fix: 'Raise the memory limit to 512 MiB and look for the leak in the image-resize worker.',
  auto_restart_safe: false,
  config_suggestions: ['mem_limit: 512m', 'healthcheck: curl -f http://localhost:8080/health'],
  likely_recurring: true,
  estimated_impact: 'Thumbnail generation is down for all users.',
} as const;

const DEFAULT_USAGE: Usage = { input_tokens: 1200, output_tokens: 150, cache_creation_input_tokens: 0, cache_read_input_tokens: 900 };

export interface FakeAnthropic {
  /** Base URL for the SDK (`baseURL`). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replies for the next requests, in order; when they run out, `fallback` answers. */
  enqueue(...replies: FakeReply[]): void;
  fallback: FakeReply;
  /** Consulted first: a reply chosen from the request (e.g. by container name), or undefined. */
  route: ((request: RecordedRequest) => FakeReply | undefined) | undefined;
  /** Requests being held open by a `hang` reply. */
  readonly hanging: number;
  /** Drops every held-open request (the client sees the connection close). */
  releaseHangs(): void;
  close(): Promise<void>;
}

let nextId = 1;

function messageBody(reply: FakeReply, requestModel: string): object {
  const base = { id: `msg_fake_${nextId++}`, type: 'message', role: 'assistant', stop_sequence: null };
  switch (reply.kind) {
    case 'tool':
      return {
        ...base,
        model: reply.model ?? requestModel,
        content: [{ type: 'tool_use', id: `toolu_fake_${nextId++}`, name: reply.name ?? 'record_diagnosis', input: reply.input }],
        stop_reason: reply.stopReason ?? 'tool_use',
        usage: { ...DEFAULT_USAGE, ...reply.usage },
      };
    case 'text':
      return {
        ...base,
        model: requestModel,
        content: [{ type: 'text', text: reply.text }],
        stop_reason: reply.stopReason ?? 'end_turn',
        usage: DEFAULT_USAGE,
      };
    case 'refusal':
      return {
        ...base,
        model: requestModel,
        content: [],
        stop_reason: 'refusal',
        stop_details: { type: 'refusal', category: null, explanation: null },
        usage: { ...DEFAULT_USAGE, output_tokens: 3 },
      };
    default:
      throw new Error(`not a message reply: ${reply.kind}`);
  }
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();

  const fake = {
    url: '',
    requests,
    fallback: { kind: 'tool', input: GOOD_DIAGNOSIS } as FakeReply,
    route: undefined as FakeAnthropic['route'],
    enqueue(...replies: FakeReply[]) {
      queue.push(...replies);
    },
    get hanging() {
      return hanging.size;
    },
    releaseHangs() {
      for (const res of hanging) res.destroy();
      hanging.clear();
    },
    close: async (): Promise<void> => undefined,
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, raw };
      requests.push(recorded);

      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/messages')) {
        send(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` } });
        return;
      }
      const reply = fake.route?.(recorded) ?? queue.shift() ?? fake.fallback;
      switch (reply.kind) {
        case 'hang':
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        case 'error':
          send(res, reply.status, { type: 'error', error: { type: reply.type, message: reply.message ?? reply.type } }, reply.headers);
          return;
        case 'raw':
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.body);
          return;
        default:
          send(res, 200, messageBody(reply, typeof body?.model === 'string' ? body.model : 'claude-unknown'));
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_fake_${nextId++}`, ...headers });
  res.end(text);
}
