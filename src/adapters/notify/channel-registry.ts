/**
 * Every channel the doctor can talk to, by URL scheme (the watchtower/shoutrrr shape: one
 * interface, one factory per service, collected in one map the compiler checks is complete).
 */
import type { ChannelFactory } from './channel-driver.js';
import type { ChannelScheme } from './channel-url.js';
import { appriseChannel } from './channels/apprise.js';
import { discordChannel } from './channels/discord.js';
import { gotifyChannel } from './channels/gotify.js';
import { jsonChannel } from './channels/json.js';
import { ntfyChannel } from './channels/ntfy.js';
import { slackChannel } from './channels/slack.js';
import { smtpChannel } from './channels/smtp.js';
import { teamsChannel } from './channels/teams.js';
import { telegramChannel } from './channels/telegram.js';

export const CHANNELS = {
  slack: slackChannel,
  discord: discordChannel,
  teams: teamsChannel,
  ntfy: ntfyChannel,
  gotify: gotifyChannel,
  telegram: telegramChannel,
  smtp: smtpChannel,
  smtps: smtpChannel,
  json: jsonChannel,
  jsons: jsonChannel,
  apprise: appriseChannel,
  apprises: appriseChannel,
} as const satisfies Record<ChannelScheme, ChannelFactory>;
