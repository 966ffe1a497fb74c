/**
 * Local stand-ins on 127.0.0.1 for the services the doctor talks to besides Slack and Anthropic:
 * Discord webhooks, a Teams workflow, ntfy, Gotify, the Telegram Bot API, an Apprise API server,
 * a generic JSON webhook, Ollama and an OpenAI-compatible server. Each checks what the real one
 * checks (path, token, content type), answers as the real one does (status and body), can be
 * scripted to fail (4xx, 5xx, 429 with Retry-After, a slow answer, a hang-up), and records every
 * request with its parsed JSON body.
 */
import { type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { listenLocally } from './local-http.js';

export interface ServiceReply {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
  readonly hangUp?: boolean;
}

export interface ServiceRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: unknown;
  readonly status: number;
}

/** How a service answers a request nobody scripted: the real service's success, or its own rejection. */
type Answer = (req: Omit<ServiceRequest, 'status'>) => ServiceReply;

export const DISCORD_PATH = '/api/webhooks/1234567890/discord-token-abcdefghijklmnop';
export const TEAMS_PATH = '/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke';
export const TEAMS_SIG = 'teams-sig-0123456789abcdefghij';
export const GOTIFY_TOKEN = 'AzyoeNS.D4iJLVa';
export const TELEGRAM_TOKEN = '123456789:AAH-telegram-token-abcdefghijklmnopq';
export const NTFY_TOKEN = 'tk_ntfy0123456789abcdefghijklmno';
export const APPRISE_KEY = 'doctor-apprise-key';

const json = (status: number, body: unknown): ServiceReply => ({ status, body });

/** Default answers, after the checks each real service makes. */
export const services = {
  discord: (r) =>
    r.path.split('?')[0] !== DISCORD_PATH
      ? json(404, { message: 'Unknown Webhook', code: 10015 })
      : !isObject(r.body) || !Array.isArray(r.body.embeds)
        ? json(400, { message: 'Cannot send an empty message', code: 50006 })
        : { status: 204 },
  teams: (r) =>
    !r.path.startsWith(TEAMS_PATH) || !r.path.includes(`sig=${TEAMS_SIG}`)
      ? json(401, { error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated' } })
      : isObject(r.body) && r.body.type === 'message' && Array.isArray(r.body.attachments)
        ? { status: 202, body: '' }
        : json(400, { error: { code: 'InvalidRequestContent', message: 'attachments missing' } }),
  ntfy: (r) =>
    r.headers.authorization !== `Bearer ${NTFY_TOKEN}`
      ? json(401, { code: 40101, http: 401, error: 'unauthorized' })
      : isObject(r.body) && typeof r.body.topic === 'string'
        ? json(200, { id: 'hwQ2YpKdmg', time: Math.floor(Date.now() / 1000), event: 'message', topic: r.body.topic, message: r.body.message })
        : json(400, { code: 40001, http: 400, error: 'invalid request: topic missing' }),
  gotify: (r) =>
    r.path !== '/gotify/message'
      ? json(404, { error: 'Not Found', errorCode: 404, errorDescription: 'page not found' })
      : r.headers['x-gotify-key'] !== GOTIFY_TOKEN
        ? json(401, { error: 'Unauthorized', errorCode: 401, errorDescription: 'you need to provide a valid access token or user credentials to access this api' })
        : json(200, { id: 1, appid: 1, date: new Date().toISOString(), ...(isObject(r.body) ? r.body : {}) }),
  telegram: (r) =>
    r.path !== `/bot${TELEGRAM_TOKEN}/sendMessage`
      ? json(404, { ok: false, error_code: 404, description: 'Not Found' })
      : isObject(r.body) && r.body.chat_id === '-1001234'
        ? json(200, { ok: true, result: { message_id: 42, chat: { id: -1001234, type: 'supergroup' }, date: 1, text: r.body.text } })
        : json(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' }),
  apprise: (r) =>
    r.path !== `/notify/${APPRISE_KEY}`
      ? json(204, { error: 'There was no configuration found.' })
      : isObject(r.body) && typeof r.body.body === 'string'
        ? { status: 200, body: 'Notification(s) sent.', headers: { 'content-type': 'text/plain' } }
        : json(400, { error: 'Payload lacks minimum requirements.' }),
  json: (r) => (r.headers['content-type']?.startsWith('application/json') ? { status: 200, body: 'ok' } : json(415, { error: 'json only' })),
} as const satisfies Record<string, Answer>;

export class FakeService {
  readonly requests: ServiceRequest[] = [];
  private readonly script: ServiceReply[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private answer: Answer,
  ) {}

  static async start(answer: Answer): Promise<FakeService> {
    let fake: FakeService | undefined;
    const { server, port } = await listenLocally((req, body, res) => void fake?.handle(req.method ?? '', req.url ?? '', req.headers, body, res));
    fake = new FakeService(server, port, answer);
    return fake;
  }

  /** `host:port` to put in a channel URL. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get base(): string {
    return `http://${this.host}`;
  }

  /** The next requests get these answers, in order; then the default answer again. */
  reply(...replies: ServiceReply[]): void {
    this.script.push(...replies);
  }

  /** Replaces the default answer (a model server's scripted reply). */
  answerWith(answer: Answer): void {
    this.answer = answer;
  }

  async waitForRequests(count: number, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > until) throw new Error(`expected ${count} requests, got ${this.requests.length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(method: string, path: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const request = { method, path, headers, raw, body };
    const reply = this.script.shift() ?? this.answer(request);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.hangUp) {
      this.requests.push({ ...request, status: 0 });
      res.socket?.destroy();
      return;
    }
    const status = reply.status ?? 200;
    this.requests.push({ ...request, status });
    const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(status, { 'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json', ...reply.headers });
    res.end(status === 204 ? undefined : text);
  }
}

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An Ollama `/api/chat` answer (non-streamed) whose message content is `content`. */
export function ollamaReply(content: string, extra: Record<string, unknown> = {}): ServiceReply {
  return {
    status: 200,
    body: { model: 'qwen2.5:7b', created_at: new Date().toISOString(), message: { role: 'assistant', content }, done: true, done_reason: 'stop', prompt_eval_count: 900, eval_count: 120, ...extra },
  };
}

/** Ollama's checks: the chat path and a model it has pulled. */
export function ollamaService(models: readonly string[], reply: () => ServiceReply): Answer {
  return (r) => {
    if (r.method !== 'POST' || r.path !== '/api/chat') return json(404, '404 page not found');
    const model = isObject(r.body) ? r.body.model : undefined;
    if (typeof model !== 'string' || !models.includes(model)) return json(404, { error: `model '${String(model)}' not found, try pulling it first` });
    return reply();
  };
}

/** A chat completion whose first choice has `message`. */
export function openAiReply(message: Record<string, unknown>, extra: Record<string, unknown> = {}): ServiceReply {
  return {
    status: 200,
    body: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: 'Qwen/Qwen2.5-7B-Instruct',
      choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1000, completion_tokens: 150, total_tokens: 1150 },
      ...extra,
    },
  };
}

/** An OpenAI-compatible server's checks: `/v1/chat/completions` and, when it has one, its key. */
export function openAiService(key: string | undefined, reply: () => ServiceReply): Answer {
  return (r) => {
    if (r.method !== 'POST' || r.path !== '/v1/chat/completions') return json(404, { error: { message: 'Not Found', type: 'invalid_request_error' } });
    if (key && r.headers.authorization !== `Bearer ${key}`) return json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    return reply();
  };
}
