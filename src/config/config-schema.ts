import { parseReportSchedule } from '../core/report/report-schedule.js';
import * as z from 'zod/mini';
import { checkContainerRef } from '../core/container-name.js';
import { isTimeZone, parseMaintenanceWindows, parseQuietHours } from '../core/quiet-periods.js';
import '../core/zod-english.js';

/**
 * Every setting, by its environment name, with its default and validation. Flags are mapped onto
 * these names before validation, so one schema judges every source and errors name the setting.
 * Written with zod's mini API: the bundle then holds only the checks used here (issue 14: the
 * classic API's method chains keep all of zod resident, about 4 MB).
 */

/** Trimmed text, lower-cased when asked. */
const text = (lower = false) => z.string().check(z.trim(), ...(lower ? [z.toLowerCase()] : []));

/** Text that must match `re`, turned into a number, then checked against the range. */
const numberIn = (re: RegExp, shape: string, range: (n: number) => boolean, rangeMessage: string) =>
  z.pipe(text().check(z.regex(re, shape)), z.transform(Number)).check(z.refine(range, rangeMessage));

const intIn = (name: string, min: number, max: number) =>
  numberIn(/^-?\d+$/, `${name} must be a whole number`, (n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`);

const seconds = (name: string, min: number, max: number) =>
  numberIn(/^\d+(\.\d+)?$/, `${name} must be a number of seconds`, (n) => n >= min && n <= max, `${name} must be between ${min} and ${max} seconds`);

/** Text that must be one of `values` (after trimming and lower-casing). */
const oneOf = <T extends string>(name: string, values: readonly T[], message = `${name} must be ${values.slice(0, -1).join(', ')} or ${values.at(-1)}`) =>
  z.pipe(
    text(true).check(z.refine((s) => (values as readonly string[]).includes(s), message)),
    z.transform((s) => s as T),
  );

/** commander's `.env()` turns a boolean on for any value, `false` included: we parse our own. */
const TRUE = ['true', '1', 'yes', 'on'];
const bool = (name: string) =>
  z.pipe(
    text(true).check(z.refine((s) => [...TRUE, 'false', '0', 'no', 'off'].includes(s), `${name} must be true or false`)),
    z.transform((s) => TRUE.includes(s)),
  );

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
const list = () => z.pipe(z.string(), z.transform(splitList));

const severity = (name: string) => oneOf(name, ['low', 'medium', 'high'] as const);

const url = (name: string) =>
  text().check(
    z.refine((s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, `${name} must be an http(s) URL`),
  );

/** Empty (after trimming) is unset. */
const optionalText = () => z.pipe(text(), z.transform((s) => (s.length > 0 ? s : undefined)));

/** An optional setting: unset when empty, else judged by `schema`. */
const unsetOr = <T>(schema: z.ZodMiniType<T, string>) => z.prefault(z.pipe(optionalText(), z.union([z.undefined(), schema])), '');

/** With its default as the text a person would have written. */
const withDefault = <T>(schema: z.ZodMiniType<T, string>, value: string) => z.prefault(schema, value);

/** TARGET_CONTAINERS: each entry a name or id Docker would accept. */
const containers = list().check(
  z.superRefine((names, ctx) => {
    for (const name of names) {
      const problem = checkContainerRef(name);
      if (problem) ctx.addIssue({ code: 'custom', message: `TARGET_CONTAINERS entry ${JSON.stringify(name)} is not a container name or id: ${problem}` });
    }
  }),
);

/**
 * ERROR_PATTERNS: the detector joins the phrases into one regex scanned over every log line;
 * at 200 phrases it runs at about 80 % of the built-in vocabulary's speed, at 1000 it is
 * hundreds of times slower (and at 5000 one `watch --once` took 13 s), so the list is bounded.
 */
export const MAX_ERROR_PATTERNS = 200;
export const MAX_ERROR_PATTERN_CHARS = 200;
const errorPatterns = list().check(
  z.superRefine((phrases, ctx) => {
    if (phrases.length > MAX_ERROR_PATTERNS) {
      ctx.addIssue({ code: 'custom', message: `ERROR_PATTERNS has ${phrases.length} phrases; at most ${MAX_ERROR_PATTERNS} are accepted` });
      return;
    }
    const long = phrases.find((p) => p.length > MAX_ERROR_PATTERN_CHARS);
    if (long) ctx.addIssue({ code: 'custom', message: `ERROR_PATTERNS phrase ${JSON.stringify(`${long.slice(0, 40)}…`)} is longer than ${MAX_ERROR_PATTERN_CHARS} characters` });
  }),
);

/** STORM_THRESHOLD: a number of containers (5) or a share of the watched ones (30%). */
const stormThreshold = z
  .pipe(
    text().check(z.regex(/^(\d+|\d+(\.\d+)?%)$/, 'STORM_THRESHOLD must be a number of containers (5) or a share of the watched ones (30%)')),
    z.transform((s): { count: number } | { share: number } => (s.endsWith('%') ? { share: Number(s.slice(0, -1)) / 100 } : { count: Number(s) })),
  )
  .check(z.refine((t) => ('count' in t ? t.count >= 2 : t.share > 0 && t.share <= 1), 'STORM_THRESHOLD must be at least 2 containers, or a share above 0% and at most 100%'));

/** A setting whose text another parser judges: its error, prefixed with the setting's name. */
const parsedBy = (name: string, parse: (text: string) => unknown) =>
  z.string().check(
    z.superRefine((value, ctx) => {
      try {
        parse(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `${name}: ${(error as Error).message}` });
      }
    }),
  );

const notEmpty = (name: string) => text().check(z.minLength(1, `${name} must not be empty`));

export const settingsSchema = z.object({
  TARGET_CONTAINERS: withDefault(containers, ''),
  CHECK_INTERVAL: withDefault(seconds('CHECK_INTERVAL', 1, 86_400), '30'),
  LOG_LINES: withDefault(intIn('LOG_LINES', 1, 10_000), '50'),
  // `ask`: every restart the rules would make waits for a person's approval (issue 10).
  AUTO_FIX: withDefault(z.pipe(text(true), z.union([z.literal('ask'), bool('AUTO_FIX')])), 'true'),
  MAX_RESTARTS_PER_HOUR: withDefault(intIn('MAX_RESTARTS_PER_HOUR', 0, 1000), '3'),
  MIN_DEAD_TIME: withDefault(seconds('MIN_DEAD_TIME', 0, 86_400), '60'),
  RESTART_SETTLE_TIME: withDefault(seconds('RESTART_SETTLE_TIME', 0, 600), '10'),
  FRESH_EXIT_WINDOW: withDefault(seconds('FRESH_EXIT_WINDOW', 0, 86_400), '600'),
  STORM_THRESHOLD: withDefault(stormThreshold, '5'),
  STORM_WINDOW: withDefault(seconds('STORM_WINDOW', 1, 3_600), '30'),
  TARGET_LABEL: unsetOr(z.string().check(z.regex(/^[A-Za-z0-9][\w.\/-]*(=.*)?$/, 'TARGET_LABEL must be a label name, or name=value'))),
  ERROR_PATTERNS: withDefault(errorPatterns, ''),
  STATE_DIR: notEmpty('STATE_DIR'),
  DOCKER_HOST: withDefault(list(), ''),
  ANTHROPIC_API_KEY: withDefault(optionalText(), ''),
  ANTHROPIC_BASE_URL: unsetOr(url('ANTHROPIC_BASE_URL')),
  ANTHROPIC_MODEL: withDefault(notEmpty('ANTHROPIC_MODEL'), 'claude-haiku-4-5'),
  DIAGNOSIS_TIMEOUT: withDefault(seconds('DIAGNOSIS_TIMEOUT', 1, 600), '30'),
  MAX_DIAGNOSES_PER_HOUR: withDefault(intIn('MAX_DIAGNOSES_PER_HOUR', 0, 10_000), '20'),
  SLACK_WEBHOOK_URL: unsetOr(url('SLACK_WEBHOOK_URL')),
  SLACK_MIN_SEVERITY: withDefault(severity('SLACK_MIN_SEVERITY'), 'medium'),
  SLACK_MAX_PER_MINUTE: withDefault(intIn('SLACK_MAX_PER_MINUTE', 1, 1000), '10'),
  NOTIFY_URLS: withDefault(z.string(), ''),
  NOTIFY_MIN_SEVERITY: withDefault(severity('NOTIFY_MIN_SEVERITY'), 'medium'),
  NOTIFY_MAX_PER_MINUTE: withDefault(intIn('NOTIFY_MAX_PER_MINUTE', 1, 1000), '10'),
  DIAGNOSIS_BACKENDS: withDefault(list(), ''),
  ANTHROPIC_MAX_PER_HOUR: unsetOr(intIn('ANTHROPIC_MAX_PER_HOUR', 0, 10_000)),
  OLLAMA_BASE_URL: withDefault(url('OLLAMA_BASE_URL'), 'http://127.0.0.1:11434'),
  OLLAMA_MODEL: withDefault(optionalText(), ''),
  OLLAMA_TIMEOUT: withDefault(seconds('OLLAMA_TIMEOUT', 1, 600), '60'),
  OLLAMA_MAX_PER_HOUR: withDefault(intIn('OLLAMA_MAX_PER_HOUR', 0, 100_000), '120'),
  OPENAI_BASE_URL: unsetOr(url('OPENAI_BASE_URL')),
  OPENAI_API_KEY: withDefault(optionalText(), ''),
  OPENAI_MODEL: withDefault(optionalText(), ''),
  OPENAI_TIMEOUT: withDefault(seconds('OPENAI_TIMEOUT', 1, 600), '60'),
  OPENAI_MAX_PER_HOUR: withDefault(intIn('OPENAI_MAX_PER_HOUR', 0, 100_000), '120'),
  OPENAI_STRUCTURED_OUTPUT: withDefault(oneOf('OPENAI_STRUCTURED_OUTPUT', ['json_schema', 'tools'] as const), 'json_schema'),
  HEALTH_HOST: withDefault(notEmpty('HEALTH_HOST'), '127.0.0.1'),
  HEALTH_PORT: withDefault(intIn('HEALTH_PORT', 0, 65_535), '8080'),
  HEALTH_TOKEN: withDefault(optionalText(), ''),
  DOCTOR_NAME: withDefault(optionalText(), ''),
  LOG_FORMAT: withDefault(oneOf('LOG_FORMAT', ['auto', 'json', 'text'] as const), 'auto'),
  LOG_LEVEL: withDefault(oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const), 'info'),
  /** `doctor watch` trades V8's optimizing compiler for memory (src/cli/long-running.ts). */
  LOW_MEMORY: withDefault(bool('LOW_MEMORY'), 'true'),
  /** The weekly (or daily) report digest through the channels: `mon 09:00` in TZ; empty for none. */
  REPORT_SCHEDULE: unsetOr(
    z.string().check(
      z.superRefine((value, ctx) => {
        const parsed = parseReportSchedule(value);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
      }),
    ),
  ),
  APPROVAL_TIMEOUT: withDefault(seconds('APPROVAL_TIMEOUT', 10, 7 * 86_400), '900'),
  MAINTENANCE_WINDOWS: unsetOr(parsedBy('MAINTENANCE_WINDOWS', parseMaintenanceWindows)),
  QUIET_HOURS: unsetOr(parsedBy('QUIET_HOURS', parseQuietHours)),
  QUIET_MIN_SEVERITY: withDefault(severity('QUIET_MIN_SEVERITY'), 'high'),
  TZ: unsetOr(z.string().check(z.refine(isTimeZone, 'TZ must be an IANA time zone such as Europe/Berlin or UTC'))),
  SLACK_BOT_TOKEN: unsetOr(z.string().check(z.regex(/^xoxb-/, 'SLACK_BOT_TOKEN must be a bot token (xoxb-...)'))),
  SLACK_APP_TOKEN: unsetOr(z.string().check(z.regex(/^xapp-/, 'SLACK_APP_TOKEN must be an app-level token (xapp-...) with connections:write'))),
  SLACK_CHANNEL: withDefault(optionalText(), ''),
  SLACK_API_URL: unsetOr(url('SLACK_API_URL')),
  SLACK_APPROVERS: withDefault(list(), ''),
});

export type SettingName = keyof typeof settingsSchema.shape;
export const settingNames = Object.keys(settingsSchema.shape) as SettingName[];
