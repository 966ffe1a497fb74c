import { parseReportSchedule } from '../core/report/report-schedule.js';
import { z } from 'zod';
import { checkContainerRef } from '../core/container-name.js';
import { isTimeZone, parseMaintenanceWindows, parseQuietHours } from '../core/quiet-periods.js';

/**
 * Every setting, by its environment name, with its default and validation. Flags are mapped onto
 * these names before validation, so one schema judges every source and errors name the setting.
 */

const intIn = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`);

const seconds = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `${name} must be a number of seconds`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max} seconds`);

/** commander's `.env()` turns a boolean on for any value, `false` included: we parse our own. */
const bool = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(s), `${name} must be true or false`)
    .transform((s) => ['true', '1', 'yes', 'on'].includes(s));

const list = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  );

const severity = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => ['low', 'medium', 'high'].includes(s), `${name} must be low, medium or high`)
    .transform((s) => s as 'low' | 'medium' | 'high');

const oneOf = <T extends string>(name: string, values: readonly T[]) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => (values as readonly string[]).includes(s), `${name} must be ${values.slice(0, -1).join(', ')} or ${values.at(-1)}`)
    .transform((s) => s as T);

const url = (name: string) =>
  z
    .string()
    .trim()
    .refine((s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, `${name} must be an http(s) URL`);

const optionalText = z
  .string()
  .trim()
  .transform((s) => (s.length > 0 ? s : undefined));

/** TARGET_CONTAINERS: each entry a name or id Docker would accept. */
const containers = list.superRefine((names, ctx) => {
  for (const name of names) {
    const problem = checkContainerRef(name);
    if (problem) ctx.addIssue({ code: 'custom', message: `TARGET_CONTAINERS entry ${JSON.stringify(name)} is not a container name or id: ${problem}` });
  }
});

/**
 * ERROR_PATTERNS: the detector joins the phrases into one regex scanned over every log line;
 * at 200 phrases it runs at about 80 % of the built-in vocabulary's speed, at 1000 it is
 * hundreds of times slower (and at 5000 one `watch --once` took 13 s), so the list is bounded.
 */
export const MAX_ERROR_PATTERNS = 200;
export const MAX_ERROR_PATTERN_CHARS = 200;
const errorPatterns = list.superRefine((phrases, ctx) => {
  if (phrases.length > MAX_ERROR_PATTERNS) {
    ctx.addIssue({ code: 'custom', message: `ERROR_PATTERNS has ${phrases.length} phrases; at most ${MAX_ERROR_PATTERNS} are accepted` });
    return;
  }
  const long = phrases.find((p) => p.length > MAX_ERROR_PATTERN_CHARS);
  if (long) ctx.addIssue({ code: 'custom', message: `ERROR_PATTERNS phrase ${JSON.stringify(`${long.slice(0, 40)}…`)} is longer than ${MAX_ERROR_PATTERN_CHARS} characters` });
});

export const settingsSchema = z.object({
  TARGET_CONTAINERS: containers.prefault(''),
  CHECK_INTERVAL: seconds('CHECK_INTERVAL', 1, 86_400).prefault('30'),
  LOG_LINES: intIn('LOG_LINES', 1, 10_000).prefault('50'),
  // `ask`: every restart the rules would make waits for a person's approval (issue 10).
  AUTO_FIX: z.string().trim().toLowerCase().pipe(z.union([z.literal('ask'), bool('AUTO_FIX')])).prefault('true'),
  MAX_RESTARTS_PER_HOUR: intIn('MAX_RESTARTS_PER_HOUR', 0, 1000).prefault('3'),
  MIN_DEAD_TIME: seconds('MIN_DEAD_TIME', 0, 86_400).prefault('60'),
  RESTART_SETTLE_TIME: seconds('RESTART_SETTLE_TIME', 0, 600).prefault('10'),
  FRESH_EXIT_WINDOW: seconds('FRESH_EXIT_WINDOW', 0, 86_400).prefault('600'),
  STORM_THRESHOLD: z
    .string()
    .trim()
    .regex(/^(\d+|\d+(\.\d+)?%)$/, 'STORM_THRESHOLD must be a number of containers (5) or a share of the watched ones (30%)')
    .transform((s): { count: number } | { share: number } => (s.endsWith('%') ? { share: Number(s.slice(0, -1)) / 100 } : { count: Number(s) }))
    .refine((t) => ('count' in t ? t.count >= 2 : t.share > 0 && t.share <= 1), 'STORM_THRESHOLD must be at least 2 containers, or a share above 0% and at most 100%')
    .prefault('5'),
  STORM_WINDOW: seconds('STORM_WINDOW', 1, 3_600).prefault('30'),
  TARGET_LABEL: optionalText.prefault('').pipe(
    z.union([z.undefined(), z.string().regex(/^[A-Za-z0-9][\w.\/-]*(=.*)?$/, 'TARGET_LABEL must be a label name, or name=value')]),
  ),
  ERROR_PATTERNS: errorPatterns.prefault(''),
  STATE_DIR: z.string().trim().min(1, 'STATE_DIR must not be empty'),
  DOCKER_HOST: list.prefault(''),
  ANTHROPIC_API_KEY: optionalText.prefault(''),
  ANTHROPIC_BASE_URL: optionalText.prefault('').pipe(z.union([z.undefined(), url('ANTHROPIC_BASE_URL')])),
  ANTHROPIC_MODEL: z.string().trim().min(1, 'ANTHROPIC_MODEL must not be empty').prefault('claude-haiku-4-5'),
  DIAGNOSIS_TIMEOUT: seconds('DIAGNOSIS_TIMEOUT', 1, 600).prefault('30'),
  MAX_DIAGNOSES_PER_HOUR: intIn('MAX_DIAGNOSES_PER_HOUR', 0, 10_000).prefault('20'),
  SLACK_WEBHOOK_URL: optionalText.prefault('').pipe(z.union([z.undefined(), url('SLACK_WEBHOOK_URL')])),
  SLACK_MIN_SEVERITY: severity('SLACK_MIN_SEVERITY').prefault('medium'),
  SLACK_MAX_PER_MINUTE: intIn('SLACK_MAX_PER_MINUTE', 1, 1000).prefault('10'),
  NOTIFY_URLS: z.string().prefault(''),
  NOTIFY_MIN_SEVERITY: severity('NOTIFY_MIN_SEVERITY').prefault('medium'),
  NOTIFY_MAX_PER_MINUTE: intIn('NOTIFY_MAX_PER_MINUTE', 1, 1000).prefault('10'),
  DIAGNOSIS_BACKENDS: list.prefault(''),
  ANTHROPIC_MAX_PER_HOUR: optionalText.prefault('').pipe(z.union([z.undefined(), intIn('ANTHROPIC_MAX_PER_HOUR', 0, 10_000)])),
  OLLAMA_BASE_URL: url('OLLAMA_BASE_URL').prefault('http://127.0.0.1:11434'),
  OLLAMA_MODEL: optionalText.prefault(''),
  OLLAMA_TIMEOUT: seconds('OLLAMA_TIMEOUT', 1, 600).prefault('60'),
  OLLAMA_MAX_PER_HOUR: intIn('OLLAMA_MAX_PER_HOUR', 0, 100_000).prefault('120'),
  OPENAI_BASE_URL: optionalText.prefault('').pipe(z.union([z.undefined(), url('OPENAI_BASE_URL')])),
  OPENAI_API_KEY: optionalText.prefault(''),
  OPENAI_MODEL: optionalText.prefault(''),
  OPENAI_TIMEOUT: seconds('OPENAI_TIMEOUT', 1, 600).prefault('60'),
  OPENAI_MAX_PER_HOUR: intIn('OPENAI_MAX_PER_HOUR', 0, 100_000).prefault('120'),
  OPENAI_STRUCTURED_OUTPUT: z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => s === 'json_schema' || s === 'tools', 'OPENAI_STRUCTURED_OUTPUT must be json_schema or tools')
    .transform((s) => s as 'json_schema' | 'tools')
    .prefault('json_schema'),
  HEALTH_HOST: z.string().trim().min(1, 'HEALTH_HOST must not be empty').prefault('127.0.0.1'),
  HEALTH_PORT: intIn('HEALTH_PORT', 0, 65_535).prefault('8080'),
  HEALTH_TOKEN: optionalText.prefault(''),
  DOCTOR_NAME: optionalText.prefault(''),
  LOG_FORMAT: oneOf('LOG_FORMAT', ['auto', 'json', 'text'] as const).prefault('auto'),
  LOG_LEVEL: oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const).prefault('info'),
  /** The weekly (or daily) report digest through the channels: `mon 09:00` in TZ; empty for none. */
  REPORT_SCHEDULE: optionalText.prefault('').superRefine((value, ctx) => {
    if (!value) return;
    const parsed = parseReportSchedule(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  }),
  APPROVAL_TIMEOUT: seconds('APPROVAL_TIMEOUT', 10, 7 * 86_400).prefault('900'),
  MAINTENANCE_WINDOWS: optionalText.prefault('').pipe(z.union([z.undefined(), z.string().superRefine(checkParsed('MAINTENANCE_WINDOWS', parseMaintenanceWindows))])),
  QUIET_HOURS: optionalText.prefault('').pipe(z.union([z.undefined(), z.string().superRefine(checkParsed('QUIET_HOURS', parseQuietHours))])),
  QUIET_MIN_SEVERITY: severity('QUIET_MIN_SEVERITY').prefault('high'),
  TZ: optionalText.prefault('').pipe(z.union([z.undefined(), z.string().refine(isTimeZone, 'TZ must be an IANA time zone such as Europe/Berlin or UTC')])),
  SLACK_BOT_TOKEN: optionalText.prefault('').pipe(z.union([z.undefined(), z.string().regex(/^xoxb-/, 'SLACK_BOT_TOKEN must be a bot token (xoxb-...)')])),
  SLACK_APP_TOKEN: optionalText.prefault('').pipe(z.union([z.undefined(), z.string().regex(/^xapp-/, 'SLACK_APP_TOKEN must be an app-level token (xapp-...) with connections:write')])),
  SLACK_CHANNEL: optionalText.prefault(''),
  SLACK_API_URL: optionalText.prefault('').pipe(z.union([z.undefined(), url('SLACK_API_URL')])),
  SLACK_APPROVERS: list.prefault(''),
});

/** A setting whose text another parser judges: its error, prefixed with the setting's name. */
function checkParsed(name: string, parse: (text: string) => unknown) {
  return (text: string, ctx: z.RefinementCtx) => {
    try {
      parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${name}: ${(error as Error).message}` });
    }
  };
}

export type SettingName = keyof typeof settingsSchema.shape;
export const settingNames = Object.keys(settingsSchema.shape) as SettingName[];
