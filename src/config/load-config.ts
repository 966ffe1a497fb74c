import * as z from 'zod/mini';
import { constants as fsConstants, readFileSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError } from '../core/errors.js';
import { parseChannelUrl, splitNotifyUrls } from '../adapters/notify/channel-url.js';
import { settingNames, settingsSchema, type SettingName } from './config-schema.js';
import { layerSettings, type SettingOrigin } from './config-sources.js';
import { discoverEngine } from './engine-discovery.js';
import { SECRET_SETTINGS } from './secret-files.js';
import { resolveBackends, type BackendConfig } from './diagnosis-backends.js';

export type { BackendConfig } from './diagnosis-backends.js';
import { lintEnvFile } from './env-file-lint.js';
import { parseMaintenanceWindows, parseQuietHours, type DailySpan, type RecurringWindow } from '../core/quiet-periods.js';

/** The one resolved, validated, frozen configuration every command runs with. */
export interface Config {
  readonly targets: readonly string[];
  readonly checkIntervalMs: number;
  readonly logLines: number;
  readonly autoFix: boolean;
  readonly maxRestartsPerHour: number;
  readonly minDeadTimeMs: number;
  readonly settleTimeMs: number;
  /** An exit found at start-up (or after a gap) is acted on only when the story shows a crash this recent. */
  readonly freshExitMs: number;
  /** Watch only containers carrying this label (`name` or `name=value`): the opt-in scope. */
  readonly targetLabel: { readonly name: string; readonly value?: string } | undefined;
  /** Empty = the built-in vocabulary. */
  readonly errorPatterns: readonly string[];
  readonly stateDir: string;
  /** One entry per engine; without DOCKER_HOST, the engine found as the docker CLI would (engine-discovery.ts). */
  readonly dockerHosts: readonly string[];
  readonly anthropic: {
    readonly apiKey: string | undefined;
    readonly baseURL: string | undefined;
    readonly model: string;
    readonly timeoutMs: number;
    readonly maxDiagnosesPerHour: number;
  };
  readonly slack: {
    readonly webhookUrl: string | undefined;
    readonly minSeverity: 'low' | 'medium' | 'high';
    readonly maxPerMinute: number;
  };
  /** NOTIFY_URLS: one channel per URL, beside SLACK_WEBHOOK_URL. */
  readonly notify: {
    readonly urls: readonly string[];
    readonly minSeverity: 'low' | 'medium' | 'high';
    readonly maxPerMinute: number;
  };
  /** DIAGNOSIS_BACKENDS resolved: asked in this order; empty = rules only. */
  readonly diagnosis: { readonly backends: readonly BackendConfig[] };
  readonly health: { readonly host: string; readonly port: number; readonly token: string | undefined };
  /** How alerts name this doctor (DOCTOR_NAME; default the machine's hostname). */
  readonly doctorName: string;
  /** One line each for what was ignored in the `.env` file (malformed lines, misspelt settings). */
  readonly warnings: readonly string[];
  /** The daemon's log: `auto` is JSON lines unless stdout is a terminal (LOG_FORMAT, LOG_LEVEL). */
  readonly log: { readonly format: 'auto' | 'json' | 'text'; readonly level: 'debug' | 'info' | 'warn' | 'error' };
  /** LOW_MEMORY: `doctor watch` runs V8 without its optimizing compiler, with a heap tuned for size (src/cli/long-running.ts). */
  readonly lowMemory: boolean;
  /** REPORT_SCHEDULE (`mon 09:00`, local time): when the report digest goes to the channels; undefined for never. */
  readonly reportSchedule?: string;
  /** People in the loop (issue 10): AUTO_FIX=ask, approvals, maintenance windows, quiet hours, in `timeZone`. */
  readonly people: {
    readonly askFirst: boolean;
    readonly approvalTimeoutMs: number;
    readonly windows: readonly RecurringWindow[];
    readonly quietHours: DailySpan | undefined;
    readonly quietFloor: 'low' | 'medium' | 'high';
    /** TZ; undefined is the host's own zone, resolved by Intl only when a window or quiet hours need it. */
    readonly timeZone: string | undefined;
  };
  /** Slack app mode: posts with the Web API, buttons over Socket Mode. Unset tokens = off (the webhook stays). */
  readonly slackApp: {
    readonly botToken: string | undefined;
    readonly appToken: string | undefined;
    readonly channel: string | undefined;
    readonly apiUrl: string | undefined;
    /** Slack user ids allowed to act; empty = anyone in the channel. */
    readonly approvers: readonly string[];
  };
  /** STORM_THRESHOLD and STORM_WINDOW: this many watched containers failing within the window is one host-level incident. */
  readonly storm: { readonly threshold: { readonly count: number } | { readonly share: number }; readonly windowMs: number };
}

export interface ConfigSources {
  /** The process environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Flags, already mapped to setting names; undefined = not given. */
  readonly flags?: Partial<Record<SettingName, string | undefined>>;
  /** `.env` path; default `.env` in the working directory, read only if it exists. */
  readonly envFile?: string;
  readonly cwd?: string;
}

function defaultStateDir(env: ConfigSources['env']): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.length > 0 ? env.XDG_STATE_HOME : path.join(homedir(), '.local', 'state');
  return path.join(base, 'container-doctor');
}

function readEnvFile(file: string, explicit: boolean): { values: Record<string, string>; warnings: string[] } {
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return { values: {}, warnings: [] };
    throw new ConfigError(`cannot read env file ${file}: ${code === 'ENOENT' ? 'no such file (ENOENT)' : (code ?? String(error))}`, { cause: error });
  }
  // dotenv.parse reads the text only: no banner, no process.env changes.
  const values = dotenv.parse(buffer);
  return { values, warnings: lintEnvFile(buffer.toString('utf8'), path.basename(file), [...settingNames, ...SECRET_SETTINGS.map((name) => `${name}_FILE`)]) };
}

/**
 * defaults -> .env -> environment -> flags -> validation -> one frozen object. Does not touch the
 * file system beyond reading the env file; `prepareStateDir` checks STATE_DIR.
 */
export function loadConfig(sources: ConfigSources): Config {
  return loadConfigWithOrigins(sources).config;
}

/** The configuration and where each setting came from (`doctor config`); unset settings are defaults. */
export function loadConfigWithOrigins(sources: ConfigSources): { config: Config; origins: Readonly<Record<string, SettingOrigin>> } {
  const cwd = sources.cwd ?? process.cwd();
  const envFile = sources.envFile ?? path.join(cwd, '.env');
  const fromFile = readEnvFile(path.resolve(cwd, envFile), sources.envFile !== undefined);

  // `NAME=` in a .env (as in .env.example) means "the default"; an empty variable or flag is an error.
  const envFileValues = Object.fromEntries(Object.entries(fromFile.values).filter(([, value]) => value.trim() !== ''));
  const { raw, origins } = layerSettings({ envFile: envFileValues, env: sources.env, flags: sources.flags ?? {} }, new Set(Object.keys(settingsSchema.shape)), cwd);
  raw.STATE_DIR ??= defaultStateDir(sources.env);
  if (raw.DOCKER_HOST === undefined || raw.DOCKER_HOST.trim() === '') {
    const found = discoverEngine(sources.env);
    raw.DOCKER_HOST = found.host;
    origins.DOCKER_HOST = { source: 'default', detail: found.how };
  }

  const parsed = z.safeParse(settingsSchema, raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'configuration');
    const value = raw[name];
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)})`;
    const message = issue?.message && issue.message.startsWith(name) ? issue.message : `${name}: ${issue?.message ?? 'invalid'}`;
    throw new ConfigError(`${message}${shown}`);
  }
  const s = parsed.data;
  const notifyUrls = splitNotifyUrls(s.NOTIFY_URLS);
  // Bad channel URLs fail here, at start-up, with a message that names NOTIFY_URLS and never the secret.
  for (const raw of notifyUrls) parseChannelUrl(raw);
  const config: Config = Object.freeze({
    targets: Object.freeze(s.TARGET_CONTAINERS),
    checkIntervalMs: Math.round(s.CHECK_INTERVAL * 1000),
    logLines: s.LOG_LINES,
    // AUTO_FIX=ask decides as if on (a restart is proposed, not made): the people gate holds it back.
    autoFix: s.AUTO_FIX !== false,
    maxRestartsPerHour: s.MAX_RESTARTS_PER_HOUR,
    minDeadTimeMs: Math.round(s.MIN_DEAD_TIME * 1000),
    settleTimeMs: Math.round(s.RESTART_SETTLE_TIME * 1000),
    freshExitMs: Math.round(s.FRESH_EXIT_WINDOW * 1000),
    targetLabel: parseTargetLabel(s.TARGET_LABEL),
    errorPatterns: Object.freeze(s.ERROR_PATTERNS),
    stateDir: path.resolve(cwd, s.STATE_DIR),
    dockerHosts: Object.freeze(s.DOCKER_HOST.length > 0 ? s.DOCKER_HOST : ['']),
    anthropic: Object.freeze({
      apiKey: s.ANTHROPIC_API_KEY,
      baseURL: s.ANTHROPIC_BASE_URL,
      model: s.ANTHROPIC_MODEL,
      timeoutMs: Math.round(s.DIAGNOSIS_TIMEOUT * 1000),
      maxDiagnosesPerHour: s.MAX_DIAGNOSES_PER_HOUR,
    }),
    slack: Object.freeze({
      webhookUrl: s.SLACK_WEBHOOK_URL,
      minSeverity: s.SLACK_MIN_SEVERITY,
      maxPerMinute: s.SLACK_MAX_PER_MINUTE,
    }),
    notify: Object.freeze({
      urls: Object.freeze(notifyUrls),
      minSeverity: s.NOTIFY_MIN_SEVERITY,
      maxPerMinute: s.NOTIFY_MAX_PER_MINUTE,
    }),
    diagnosis: Object.freeze({ backends: resolveBackends(s) }),
    health: Object.freeze({ host: s.HEALTH_HOST, port: s.HEALTH_PORT, token: s.HEALTH_TOKEN }),
    doctorName: s.DOCTOR_NAME ?? hostname(),
    warnings: Object.freeze(fromFile.warnings),
    log: Object.freeze({ format: s.LOG_FORMAT, level: s.LOG_LEVEL }),
    lowMemory: s.LOW_MEMORY,
    ...(s.REPORT_SCHEDULE ? { reportSchedule: s.REPORT_SCHEDULE } : {}),
    people: Object.freeze({
      askFirst: s.AUTO_FIX === 'ask',
      approvalTimeoutMs: Math.round(s.APPROVAL_TIMEOUT * 1000),
      windows: Object.freeze(s.MAINTENANCE_WINDOWS ? parseMaintenanceWindows(s.MAINTENANCE_WINDOWS) : []),
      quietHours: s.QUIET_HOURS ? parseQuietHours(s.QUIET_HOURS) : undefined,
      quietFloor: s.QUIET_MIN_SEVERITY,
      // Intl's time zone data costs about 8 MB resident once touched: only windows and quiet hours need it.
      timeZone: s.TZ,
    }),
    slackApp: Object.freeze({
      botToken: s.SLACK_BOT_TOKEN,
      appToken: s.SLACK_APP_TOKEN,
      channel: s.SLACK_CHANNEL,
      apiUrl: s.SLACK_API_URL,
      approvers: Object.freeze(s.SLACK_APPROVERS),
    }),
    storm: Object.freeze({ threshold: Object.freeze(s.STORM_THRESHOLD), windowMs: Math.round(s.STORM_WINDOW * 1000) }),
  });
  if ((config.slackApp.botToken === undefined) !== (config.slackApp.channel === undefined)) {
    throw new ConfigError('SLACK_BOT_TOKEN and SLACK_CHANNEL go together: the Slack app posts with the bot token to that channel');
  }
  if (config.slackApp.appToken !== undefined && config.slackApp.botToken === undefined) {
    throw new ConfigError('SLACK_APP_TOKEN needs SLACK_BOT_TOKEN and SLACK_CHANNEL: buttons answer messages the bot posted');
  }
  return { config, origins };
}

function parseTargetLabel(raw: string | undefined): Config['targetLabel'] {
  if (raw === undefined) return undefined;
  const eq = raw.indexOf('=');
  return Object.freeze(eq < 0 ? { name: raw } : { name: raw.slice(0, eq), value: raw.slice(eq + 1) });
}

/** Creates STATE_DIR if needed and proves it is readable and writable. */
export async function prepareStateDir(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true });
    await access(stateDir, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unusable';
    throw new ConfigError(`STATE_DIR ${stateDir} is not a readable, writable directory (${code})`, { cause: error });
  }
}
