/**
 * Slack app mode: incidents posted with the bot token (`chat.postMessage` to SLACK_CHANNEL) with
 * buttons, clicks received over Socket Mode (an outbound WebSocket: a doctor behind NAT needs no
 * public URL), the original message updated in place with the outcome (`chat.update`), and an
 * ephemeral "not allowed" for anyone outside SLACK_APPROVERS (`chat.postEphemeral`).
 *
 * The official `@slack/web-api` queues calls and honours 429 Retry-After itself
 * (rejectRateLimitedCalls: false, its default), so posting stays paced; posts run off the watch
 * loop in one promise chain. `@slack/socket-mode` reconnects by itself; its state shows on /health.
 * Envelopes and payloads: https://docs.slack.dev/apis/events-api/using-socket-mode and
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 */
import { SocketModeClient, LogLevel as SocketLogLevel } from '@slack/socket-mode';
import { LogLevel, WebClient } from '@slack/web-api';
import { buildIncidentMessage, buildRecoveryMessage, shouldPostIncident, type Block } from '../../core/alert-blocks.js';
import { ACTION_NEVER, ACTION_RESTART, ACTION_SNOOZE, answeredBlocks, buildActions, describeAnswer, parseButtonValue } from '../../core/approval-blocks.js';
import type { Proposal } from '../../core/approval.js';
import { describeError } from '../../core/errors.js';
import { createRedactor } from '../../core/redact.js';
import type { AuditRecord, Person } from '../../core/types.js';
import type { Config } from '../../config/load-config.js';
import type { ApprovalDesk, ApprovalListener } from '../../pipeline/approvals.js';
import type { FeedListener } from '../../pipeline/feed.js';
import type { Notifier } from '../../pipeline/ports.js';
import type { PostedMessage } from '../state/slack-messages-store.js';

const SNOOZE_MS = 60 * 60 * 1000;
/** Posted messages remembered for chat.update; older ones are not updated. */
const MESSAGES_KEPT = 500;

/** What /health shows of the Slack app. */
export interface SlackAppStatus {
  readonly posting: { readonly delivered: number; readonly failed: number; readonly lastError: string | null };
  /** Socket Mode: off when no SLACK_APP_TOKEN (posts without buttons that work). */
  readonly socket: { readonly enabled: boolean; readonly connected: boolean; readonly state: string; readonly reconnects: number; readonly lastError: string | null };
}

/** Posted messages kept across doctors (SlackMessagesStore). */
export interface PostedMessages {
  readonly loaded: ReadonlyArray<readonly [string, PostedMessage]>;
  save(messages: ReadonlyMap<string, PostedMessage>): Promise<void>;
}

interface Posted extends PostedMessage {
  readonly blocks: readonly Block[];
}

/** The parts of a block_actions payload the doctor reads. */
interface BlockActions {
  readonly type: 'block_actions';
  readonly user?: { readonly id?: string; readonly username?: string; readonly name?: string };
  readonly channel?: { readonly id?: string };
  readonly container?: { readonly channel_id?: string; readonly message_ts?: string };
  readonly message?: { readonly ts?: string };
  readonly actions?: readonly { readonly action_id?: string; readonly value?: string }[];
}

export class SlackApp implements Notifier, ApprovalListener {
  readonly channel = 'slack-app';
  private readonly web: WebClient;
  private readonly socket: SocketModeClient | undefined;
  private readonly posted = new Map<string, Posted>();
  private chain: Promise<void> = Promise.resolve();
  private readonly redact: (s: string) => string;
  private delivered = 0;
  private failed = 0;
  private lastError: string | null = null;
  private socketState = 'off';
  private reconnects = 0;
  private socketError: string | null = null;

  constructor(
    private readonly input: {
      readonly config: Config;
      readonly desk: ApprovalDesk;
      readonly feed: FeedListener;
      readonly secrets: readonly string[];
      /** Where posted messages are kept across doctors (STATE_DIR/slack-messages.json). */
      readonly messages?: PostedMessages;
    },
  ) {
    for (const [incidentId, posted] of input.messages?.loaded ?? []) this.posted.set(incidentId, posted as Posted);
    const { slackApp } = input.config;
    this.redact = createRedactor({ extraSecrets: [...input.secrets] });
    const clientOptions = { ...(slackApp.apiUrl ? { slackApiUrl: withSlash(slackApp.apiUrl) } : {}), retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 30_000 }, timeout: 10_000 };
    this.web = new WebClient(slackApp.botToken, { ...clientOptions, logLevel: LogLevel.ERROR, logger: quietLogger(input.feed) });
    if (slackApp.appToken) {
      this.socket = new SocketModeClient({ appToken: slackApp.appToken, clientOptions, logLevel: SocketLogLevel.ERROR, logger: quietLogger(input.feed) });
      for (const state of ['connecting', 'connected', 'reconnecting', 'disconnecting', 'disconnected'] as const) {
        this.socket.on(state, () => {
          if (state === 'reconnecting') this.reconnects += 1;
          this.socketState = state;
          if (state === 'connected') this.socketError = null;
        });
      }
      this.socket.on('interactive', (envelope: { ack: () => Promise<void>; body: unknown }) => void this.onInteractive(envelope));
      this.socket.on('error', (error: unknown) => {
        this.socketError = describeError(error);
      });
    }
    input.desk.listeners.push(this);
  }

  async start(): Promise<void> {
    if (!this.socket) return;
    try {
      await this.socket.start();
    } catch (error) {
      // The client keeps trying on its own; the doctor watches on and /health says so.
      this.socketError = this.redact(describeError(error));
      this.input.feed({ type: 'warning', message: `Slack Socket Mode: ${this.socketError}; buttons do not work until it connects` });
    }
  }

  async close(): Promise<void> {
    await this.flush(5_000);
    await this.socket?.disconnect().catch(() => undefined);
  }

  status(): SlackAppStatus {
    return {
      posting: { delivered: this.delivered, failed: this.failed, lastError: this.lastError },
      socket: { enabled: this.socket !== undefined, connected: this.socketState === 'connected', state: this.socketState, reconnects: this.reconnects, lastError: this.socketError },
    };
  }

  incident(record: AuditRecord): void {
    if (!shouldPostIncident(record, this.input.config.slack.minSeverity)) return;
    const message = buildIncidentMessage(record, { hostLabel: this.input.config.doctorName, redact: this.redact });
    const actions = this.socket ? buildActions(record) : undefined;
    this.enqueue(async () => {
      const res = await this.web.chat.postMessage({ channel: this.input.config.slackApp.channel!, text: message.text, blocks: [...message.blocks, ...(actions ? [actions] : [])] as never });
      // The message with the buttons is the one answered in place; a later post of the same incident (the restart's outcome) does not replace it.
      if (res.ts && res.channel && (actions || !this.posted.has(record.incidentId))) this.remember(record.incidentId, { channel: res.channel, ts: res.ts, blocks: message.blocks, text: message.text });
    });
  }

  recovered(record: AuditRecord, recoveredAt: string): void {
    const message = buildRecoveryMessage(record, recoveredAt, { hostLabel: this.input.config.doctorName, redact: this.redact });
    this.enqueue(async () => {
      await this.web.chat.postMessage({ channel: this.input.config.slackApp.channel!, text: message.text, blocks: message.blocks as never });
    });
  }

  async flush(timeoutMs: number): Promise<void> {
    await Promise.race([this.chain, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  /** A proposal was answered (here, in the terminal, or it expired): the message shows the outcome, without buttons. */
  answered(proposal: Proposal): void {
    const posted = this.posted.get(proposal.incidentId);
    if (!posted) return;
    this.enqueue(async () => {
      const line = describeAnswer(proposal);
      await this.web.chat.update({ channel: posted.channel, ts: posted.ts, text: `${posted.text}\n${line}`, blocks: answeredBlocks(posted.blocks, line) as never });
    });
  }

  private remember(incidentId: string, posted: Posted): void {
    this.posted.delete(incidentId);
    this.posted.set(incidentId, posted);
    if (this.posted.size > MESSAGES_KEPT) this.posted.delete(this.posted.keys().next().value!);
    // Lost, a message is only not updated in place after a restart: a warning, never a stop.
    this.input.messages?.save(this.posted).catch((error: unknown) => this.input.feed({ type: 'warning', message: `Slack message ids not saved: ${(error as Error).message}` }));
  }

  private enqueue(call: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      try {
        await call();
        this.delivered += 1;
      } catch (error) {
        this.failed += 1;
        this.lastError = this.redact(describeError(error));
        this.input.feed({ type: 'warning', message: `Slack app: ${this.lastError}` });
      }
    });
  }

  /** Acknowledged at once (Slack retries an envelope not acked within 3 s), then judged. */
  private async onInteractive(envelope: { ack: () => Promise<void>; body: unknown }): Promise<void> {
    try {
      await envelope.ack();
    } catch (error) {
      this.socketError = describeError(error);
    }
    const body = envelope.body as BlockActions;
    if (body?.type !== 'block_actions') return;
    const action = body.actions?.[0];
    const value = parseButtonValue(action?.value);
    const userId = body.user?.id;
    if (!action || !value || !userId) return;
    const channel = body.container?.channel_id ?? body.channel?.id ?? this.input.config.slackApp.channel!;
    const ts = body.container?.message_ts ?? body.message?.ts;
    if (ts && !this.posted.has(value.incidentId)) {
      // A message posted by an earlier doctor: still updated in place (its blocks are not known, the answer is shown alone).
      this.remember(value.incidentId, { channel, ts, blocks: [], text: `${value.name}` });
    }
    const approvers = this.input.config.slackApp.approvers;
    if (approvers.length > 0 && !approvers.includes(userId)) {
      this.enqueue(async () => {
        await this.web.chat.postEphemeral({ channel, user: userId, text: `Not allowed: only SLACK_APPROVERS may act on the doctor's alerts (${value.name}).` });
      });
      return;
    }
    const by: Person = { id: userId, name: body.user?.username ?? body.user?.name ?? userId, via: 'slack' };
    try {
      if (action.action_id === ACTION_RESTART) {
        const answer = await this.input.desk.approve(value.incidentId, by);
        // An answer without a proposal on file (unknown incident) has no listener call: say it here.
        if (!this.input.desk.proposal(value.incidentId)) this.updateWith(value.incidentId, `⛔ Not restarted (asked by ${by.name}): ${answer.detail}`);
      } else if (action.action_id === ACTION_SNOOZE) {
        const until = this.input.desk.now() + SNOOZE_MS;
        await this.input.desk.snooze(value.host, value.name, until, by);
        this.updateWith(value.incidentId, `💤 Snoozed by ${by.name} (${by.id}) until ${new Date(until).toISOString()}: no alerts and no action for ${value.name}`);
      } else if (action.action_id === ACTION_NEVER) {
        await this.input.desk.never(value.host, value.name, by);
        this.updateWith(value.incidentId, `🚫 ${by.name} (${by.id}) set "never auto-restart" for ${value.name} at ${new Date(this.input.desk.now()).toISOString()} (lift with doctor unsnooze ${value.name} --override)`);
      }
    } catch (error) {
      this.input.feed({ type: 'warning', message: `Slack app: could not carry out ${action.action_id} for ${value.name}: ${describeError(error)}` });
    }
  }

  private updateWith(incidentId: string, line: string): void {
    const posted = this.posted.get(incidentId);
    if (!posted) return;
    this.enqueue(async () => {
      await this.web.chat.update({ channel: posted.channel, ts: posted.ts, text: `${posted.text}\n${line}`, blocks: answeredBlocks(posted.blocks, line) as never });
    });
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The SDKs' own logs: errors go to the feed as warnings, the rest is dropped. */
function quietLogger(feed: FeedListener) {
  const none = () => undefined;
  return {
    debug: none, info: none, warn: none,
    error: (...msg: unknown[]) => feed({ type: 'warning', message: `Slack: ${msg.map(String).join(' ')}` }),
    setLevel: none, getLevel: () => LogLevel.ERROR, setName: none,
  };
}
