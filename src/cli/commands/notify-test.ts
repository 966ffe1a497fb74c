import { buildNotifiers } from '../../adapters/notify/build-notifiers.js';
import { parseChannelUrl } from '../../adapters/notify/channel-url.js';
import type { DeliveryResult } from '../../adapters/notify/delivery-queue.js';
import { ConfigError, ExitCode } from '../../core/errors.js';
import { createRedactor } from '../../core/redact.js';
import { doctorSecrets } from '../bootstrap.js';
import { configFromFlags, type CommonFlags } from '../config-flags.js';

export interface NotifyTestFlags extends CommonFlags {
  channel?: string;
  json?: boolean;
}

/**
 * `doctor notify test`: one test message to each configured channel (or to `--channel URL`),
 * sent at once, each with its channel's retries. Prints one line per channel; exits 1 naming the
 * channels that failed and why (autoheal #90).
 */
export async function runNotifyTestCommand(flags: NotifyTestFlags): Promise<number> {
  const config = configFromFlags(flags);
  let channelConfig = config;
  if (flags.channel !== undefined) {
    try {
      parseChannelUrl(flags.channel, '--channel');
    } catch (error) {
      throw error instanceof ConfigError ? error : new ConfigError(`--channel: ${String(error)}`);
    }
    channelConfig = { ...config, slack: { ...config.slack, webhookUrl: undefined }, notify: { ...config.notify, urls: [flags.channel] } };
  }
  const secrets = [...doctorSecrets(config), ...(flags.channel ? parseChannelUrl(flags.channel, '--channel').secrets : [])];
  const notifiers = buildNotifiers(channelConfig, { redact: createRedactor({ extraSecrets: secrets }), queue: { maxAttempts: 3 } });
  if (notifiers.length === 0) throw new ConfigError('no channel configured: set NOTIFY_URLS or SLACK_WEBHOOK_URL, or pass --channel URL');
  const results: DeliveryResult[] = await Promise.all(notifiers.map((n) => n.sendTest()));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(results.map((r) => ({ channel: r.channel, ok: r.ok, attempts: r.attempts, ...(r.status !== undefined ? { status: r.status } : {}), ...(r.error ? { error: r.error } : {}) })))}\n`);
  } else {
    for (const r of results) {
      const how = `${r.status !== undefined ? `status ${r.status}, ` : ''}${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`;
      process.stdout.write(r.ok ? `ok      ${r.channel} (${how})\n` : `FAILED  ${r.channel}: ${r.error ?? 'unknown error'} (${how})\n`);
    }
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    process.stderr.write(`doctor: ${failed.length} of ${results.length} channel${results.length === 1 ? '' : 's'} failed: ${failed.map((r) => r.channel).join(', ')}\n`);
    return ExitCode.problemFound;
  }
  return ExitCode.ok;
}
