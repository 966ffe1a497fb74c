/**
 * Slack incoming webhooks, through the same SlackNotifier driver SLACK_WEBHOOK_URL uses.
 * URL: the webhook URL with `slack://` in place of `https://`
 * (`slack://hooks.slack.com/services/T000/B000/XXXX`), or shoutrrr's `slack://T000/B000/XXXX`.
 */
import { ConfigError } from '../../../core/errors.js';
import { createSlackDriver } from '../../slack/slack-notifier.js';
import { endpoint, pathSegments, type ChannelFactory } from '../channel-driver.js';

export const slackChannel: ChannelFactory = (target, ctx) => {
  const segments = pathSegments(target);
  let url: string;
  if (!target.url.hostname.includes('.') && !target.url.port && target.url.hostname !== 'localhost' && segments.length === 2) {
    // URL parsing lower-cases the host (the workspace id); Slack's T… and B… ids are upper case.
    url = `https://hooks.slack.com/services/${[target.url.hostname.toUpperCase(), ...segments].map(encodeURIComponent).join('/')}`;
  } else if (segments.length >= 2) {
    url = endpoint(target, target.url.pathname);
  } else {
    throw new ConfigError(`NOTIFY_URLS: ${target.label} needs the webhook path: slack://hooks.slack.com/services/T…/B…/…`);
  }
  return { paceMs: 1000, secrets: [url], driver: createSlackDriver({ url, hostLabel: ctx.hostLabel, redact: ctx.redact }) };
};
