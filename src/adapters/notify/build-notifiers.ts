/**
 * Builds one delivery queue per configured channel: NOTIFY_URLS, plus SLACK_WEBHOOK_URL exactly
 * as v0.1 used it (SLACK_MIN_SEVERITY, SLACK_MAX_PER_MINUTE).
 */
import type { Severity } from '../../core/types.js';
import type { Clock, Notifier } from '../../pipeline/ports.js';
import { SlackNotifier } from '../slack/slack-notifier.js';
import type { ChannelContext } from './channel-driver.js';
import { CHANNELS } from './channel-registry.js';
import { parseChannelUrl, type ChannelUrl } from './channel-url.js';
import { ChannelNotifier, type ChannelStats, type DeliveryQueueOptions, type DeliveryResult } from './delivery-queue.js';

/** The parts of the configuration channels read. */
export interface NotifyConfig {
  readonly doctorName: string;
  readonly slack: { readonly webhookUrl: string | undefined; readonly minSeverity: Severity; readonly maxPerMinute: number };
  readonly notify: { readonly urls: readonly string[]; readonly minSeverity: Severity; readonly maxPerMinute: number };
}

export interface NotifierDeps {
  /** The redactor for alert text; each channel adds its own secrets for its errors. */
  readonly redact: (s: string) => string;
  readonly onDelivery?: (result: DeliveryResult) => void;
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
  /** Overrides for every queue (tests make them fast). */
  readonly queue?: Partial<Pick<DeliveryQueueOptions, 'sleep' | 'paceMs' | 'backoffBaseMs' | 'maxAttempts' | 'timeoutMs' | 'digestGatherMs'>>;
}

/** A channel's notifier, as /health, /metrics and `doctor notify test` see it. */
export interface ChannelNotifierLike extends Notifier {
  readonly channel: string;
  stats(): ChannelStats;
  sendTest(): Promise<DeliveryResult>;
}

/** Parses every NOTIFY_URLS entry; throws ConfigError naming the first bad one (by its label). */
export function parseNotifyUrls(urls: readonly string[]): ChannelUrl[] {
  return urls.map((raw) => parseChannelUrl(raw));
}

export function buildNotifiers(config: NotifyConfig, deps: NotifierDeps): ChannelNotifierLike[] {
  const out: ChannelNotifierLike[] = [];
  const labels = new Map<string, number>();
  const unique = (label: string): string => {
    const n = (labels.get(label) ?? 0) + 1;
    labels.set(label, n);
    return n === 1 ? label : `${label}#${n}`;
  };
  const hideAll = (secrets: readonly string[]) => (s: string): string => {
    let text = s;
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) if (secret) text = text.split(secret).join('[REDACTED]');
    return deps.redact(text);
  };
  if (config.slack.webhookUrl) {
    out.push(
      new SlackNotifier({
        url: config.slack.webhookUrl,
        channel: unique('slack'),
        hostLabel: config.doctorName,
        redact: deps.redact,
        minSeverity: config.slack.minSeverity,
        maxPerMinute: config.slack.maxPerMinute,
        ...(deps.onDelivery ? { onDelivery: deps.onDelivery } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...deps.queue,
      }),
    );
  }
  const ctx: ChannelContext = { hostLabel: config.doctorName, redact: deps.redact, ...(deps.fetch ? { fetch: deps.fetch } : {}) };
  for (const target of parseNotifyUrls(config.notify.urls)) {
    const setup = CHANNELS[target.scheme](target, ctx);
    const secrets = [...target.secrets, ...(setup.secrets ?? [])];
    out.push(
      new ChannelNotifier(setup.driver, {
        channel: unique(target.label),
        minSeverity: target.route.minSeverity ?? config.notify.minSeverity,
        ...(target.route.containers ? { containers: target.route.containers } : {}),
        maxPerMinute: config.notify.maxPerMinute,
        paceMs: setup.paceMs,
        hide: hideAll(secrets),
        ...(deps.onDelivery ? { onDelivery: deps.onDelivery } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...deps.queue,
      }),
    );
  }
  return out;
}
