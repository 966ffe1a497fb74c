/**
 * A local stand-in for Slack's incoming-webhook endpoint on 127.0.0.1.
 *
 * It answers like Slack does (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors):
 * `200 ok` as text, or an error status with a short text body (`invalid_payload`, `no_text`,
 * `invalid_blocks`, `invalid_token`, `no_service`, `channel_is_archived`, ...). Replies can be
 * scripted per request; every request is recorded with its parsed JSON body and headers.
 */
import { type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLocally } from './local-http.js';

/** How to answer one request. Unset fields fall back to Slack's `200 ok`. */
export interface FakeSlackReply {
  readonly status?: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering (a slow Slack). */
  readonly delayMs?: number;
  /** Close the connection without answering (a network error for the client). */
  readonly hangUp?: boolean;
}

/** The error answers Slack's webhook endpoint gives, ready to script. */
export const slackReplies = {
  ok: { status: 200, body: 'ok' },
  invalidPayload: { status: 400, body: 'invalid_payload' },
  noText: { status: 400, body: 'no_text' },
  invalidBlocks: { status: 400, body: 'invalid_blocks' },
  invalidToken: { status: 403, body: 'invalid_token' },
  actionProhibited: { status: 403, body: 'action_prohibited' },
  noService: { status: 404, body: 'no_service' },
  channelNotFound: { status: 404, body: 'channel_not_found' },
  channelIsArchived: { status: 410, body: 'channel_is_archived' },
  rateLimited: (retryAfterSeconds = 1): FakeSlackReply => ({
    status: 429,
    body: 'rate_limited',
    headers: { 'retry-after': String(retryAfterSeconds) },
  }),
  serverError: { status: 500, body: 'internal_error' },
  unavailable: { status: 503, body: 'service_unavailable' },
} as const satisfies Record<string, FakeSlackReply | ((n?: number) => FakeSlackReply)>;

/** One request as the fake received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  /** The parsed JSON body, or undefined when it was not JSON. */
  readonly body: unknown;
  /** The status the fake answered with (0 for a hang-up). */
  readonly status: number;
  /** When the request arrived (ms since the epoch). */
  readonly at: number;
}

const WEBHOOK_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';

export class FakeSlack {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: FakeSlackReply[] = [];
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(
    private readonly server: Server,
    /** The webhook URL to hand to the client. */
    readonly url: string,
  ) {}

  /** Starts a fake on an ephemeral port of 127.0.0.1. */
  static async start(): Promise<FakeSlack> {
    let fake: FakeSlack | undefined;
    const { server, port } = await listenLocally((req, body, res) => void fake?.answer(req.method ?? '', req.url ?? '', req.headers, body, res));
    fake = new FakeSlack(server, `http://127.0.0.1:${port}${WEBHOOK_PATH}`);
    return fake;
  }

  /** Queues replies for the next requests, in order; afterwards the fake answers `200 ok` again. */
  reply(...replies: FakeSlackReply[]): void {
    this.script.push(...replies);
  }

  /** The bodies of the requests Slack would have accepted (answered 200). */
  get delivered(): unknown[] {
    return this.requests.filter((r) => r.status === 200).map((r) => r.body);
  }

  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    raw: string,
    res: import('node:http').ServerResponse,
  ): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const reply = this.script.shift() ?? this.validate(method, path, headers, body);
    this.requests.push({ method, path, headers, raw, body, status: reply.hangUp ? 0 : (reply.status ?? 200), at: Date.now() });
    for (const w of this.waiters.filter((w) => this.requests.length >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.hangUp) {
      res.socket?.destroy();
      return;
    }
    if (res.destroyed) return;
    res.writeHead(reply.status ?? 200, { 'content-type': 'text/html', ...reply.headers });
    res.end(reply.body ?? 'ok');
  }

  /** What Slack answers an unscripted request: it checks the path, the JSON and the Block Kit limits. */
  private validate(method: string, path: string, headers: IncomingHttpHeaders, body: unknown): FakeSlackReply {
    if (method !== 'POST' || path !== WEBHOOK_PATH) return slackReplies.noService;
    if (!String(headers['content-type'] ?? '').includes('application/json') || typeof body !== 'object' || body === null) {
      return slackReplies.invalidPayload;
    }
    const msg = body as { text?: unknown; blocks?: unknown };
    if ((typeof msg.text !== 'string' || msg.text === '') && !Array.isArray(msg.blocks)) return slackReplies.noText;
    if (msg.blocks !== undefined && !blocksWithinLimits(msg.blocks)) return slackReplies.invalidBlocks;
    return slackReplies.ok;
  }
}

/** Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks), as Slack enforces them. */
export function blocksWithinLimits(blocks: unknown): boolean {
  if (!Array.isArray(blocks) || blocks.length > 50) return false;
  const textOk = (t: unknown, max: number): boolean =>
    typeof t === 'object' && t !== null && typeof (t as { text?: unknown }).text === 'string' && (t as { text: string }).text.length <= max && (t as { text: string }).text.length > 0;
  return blocks.every((b: { type?: unknown; text?: unknown; fields?: unknown; elements?: unknown }) => {
    switch (b.type) {
      case 'header':
        return textOk(b.text, 150) && (b.text as { type?: unknown }).type === 'plain_text';
      case 'section': {
        if (b.text === undefined && b.fields === undefined) return false;
        if (b.text !== undefined && !textOk(b.text, 3000)) return false;
        if (b.fields === undefined) return true;
        return Array.isArray(b.fields) && b.fields.length <= 10 && b.fields.every((f) => textOk(f, 2000));
      }
      case 'context':
        return Array.isArray(b.elements) && b.elements.length >= 1 && b.elements.length <= 10 && b.elements.every((e) => textOk(e, 3000));
      case 'divider':
        return true;
      default:
        return false;
    }
  });
}
