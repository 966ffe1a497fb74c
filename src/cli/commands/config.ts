/**
 * `doctor config [--json]`: the effective configuration, each setting with where its value came
 * from (default, .env, environment, flag, file), secrets masked.
 */
import { settingNames } from '../../config/config-schema.js';
import type { SettingOrigin } from '../../config/config-sources.js';
import { loadConfigWithOrigins } from '../../config/load-config.js';
import { maskSecret, SECRET_SETTINGS } from '../../config/secret-files.js';
import { ExitCode } from '../../core/errors.js';
import { loadFlagConfig, type CommonFlags } from '../config-flags.js';
import { colorsFor } from '../render/colors.js';

export interface ConfigFlags extends CommonFlags {
  json?: boolean;
}

interface ConfigEntry {
  readonly name: string;
  /** As given (secrets masked); null when unset and without a default. */
  readonly value: string | null;
  readonly source: SettingOrigin['source'];
  readonly detail?: string;
  readonly secret: boolean;
}

export async function runConfigCommand(flags: ConfigFlags): Promise<number> {
  const { config, origins } = loadFlagConfig(flags);
  const effective = effectiveValues(config);
  const entries: ConfigEntry[] = settingNames.map((name) => {
    const origin = origins[name] ?? { source: 'default' as const };
    const secret = SECRET_SETTINGS.includes(name);
    const raw = effective[name];
    const value = raw === undefined ? null : secret ? maskSecret(raw) : raw;
    return { name, value, source: origin.source, ...(origin.detail ? { detail: origin.detail } : {}), secret };
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ settings: entries })}\n`);
    return ExitCode.ok;
  }
  const c = colorsFor(process.stdout);
  const width = Math.max(...entries.map((e) => e.name.length));
  for (const e of entries) {
    const value = e.value === null ? c.dim('(unset)') : e.value === '' ? c.dim('""') : e.value;
    const from = e.detail ? `${e.source}: ${e.detail}` : e.source;
    process.stdout.write(`${e.name.padEnd(width)}  ${value}  ${c.dim(`(${from})`)}\n`);
  }
  return ExitCode.ok;
}

/** Each setting's effective value as text, from the validated config (so defaults show too). */
function effectiveValues(config: ReturnType<typeof loadConfigWithOrigins>['config']): Record<string, string | undefined> {
  const seconds = (ms: number) => String(ms / 1000);
  // Backend settings take effect only for the backends DIAGNOSIS_BACKENDS lists.
  const backend = (name: 'claude' | 'ollama' | 'openai') => config.diagnosis.backends.find((b) => b.name === name);
  const openai = () => {
    const b = backend('openai');
    return b?.name === 'openai' ? b : undefined;
  };
  return {
    TARGET_CONTAINERS: config.targets.join(','),
    CHECK_INTERVAL: seconds(config.checkIntervalMs),
    LOG_LINES: String(config.logLines),
    AUTO_FIX: config.people.askFirst ? 'ask' : String(config.autoFix),
    MAX_RESTARTS_PER_HOUR: String(config.maxRestartsPerHour),
    MIN_DEAD_TIME: seconds(config.minDeadTimeMs),
    RESTART_SETTLE_TIME: seconds(config.settleTimeMs),
    FRESH_EXIT_WINDOW: seconds(config.freshExitMs),
    STORM_THRESHOLD: 'count' in config.storm.threshold ? String(config.storm.threshold.count) : `${Math.round(config.storm.threshold.share * 1000) / 10}%`,
    STORM_WINDOW: seconds(config.storm.windowMs),
    TARGET_LABEL: config.targetLabel ? (config.targetLabel.value === undefined ? config.targetLabel.name : `${config.targetLabel.name}=${config.targetLabel.value}`) : undefined,
    ERROR_PATTERNS: config.errorPatterns.join(','),
    STATE_DIR: config.stateDir,
    DOCKER_HOST: config.dockerHosts.join(','),
    ANTHROPIC_API_KEY: config.anthropic.apiKey,
    ANTHROPIC_BASE_URL: config.anthropic.baseURL,
    ANTHROPIC_MODEL: config.anthropic.model,
    DIAGNOSIS_TIMEOUT: seconds(config.anthropic.timeoutMs),
    MAX_DIAGNOSES_PER_HOUR: String(config.anthropic.maxDiagnosesPerHour),
    SLACK_WEBHOOK_URL: config.slack.webhookUrl,
    SLACK_MIN_SEVERITY: config.slack.minSeverity,
    SLACK_MAX_PER_MINUTE: String(config.slack.maxPerMinute),
    HEALTH_HOST: config.health.host,
    HEALTH_PORT: String(config.health.port),
    HEALTH_TOKEN: config.health.token,
    DOCTOR_NAME: config.doctorName,
    LOG_FORMAT: config.log.format,
    LOG_LEVEL: config.log.level,
    LOW_MEMORY: String(config.lowMemory),
    NOTIFY_URLS: config.notify.urls.join(' '),
    NOTIFY_MIN_SEVERITY: config.notify.minSeverity,
    NOTIFY_MAX_PER_MINUTE: String(config.notify.maxPerMinute),
    DIAGNOSIS_BACKENDS: config.diagnosis.backends.map((b) => b.name).join(','),
    ANTHROPIC_MAX_PER_HOUR: backend('claude') ? String(backend('claude')!.maxPerHour) : undefined,
    OLLAMA_BASE_URL: backend('ollama')?.baseURL,
    OLLAMA_MODEL: backend('ollama')?.model,
    OLLAMA_TIMEOUT: backend('ollama') ? seconds(backend('ollama')!.timeoutMs) : undefined,
    OLLAMA_MAX_PER_HOUR: backend('ollama') ? String(backend('ollama')!.maxPerHour) : undefined,
    OPENAI_BASE_URL: backend('openai')?.baseURL,
    OPENAI_API_KEY: openai()?.apiKey,
    OPENAI_MODEL: backend('openai')?.model,
    OPENAI_TIMEOUT: backend('openai') ? seconds(backend('openai')!.timeoutMs) : undefined,
    OPENAI_MAX_PER_HOUR: backend('openai') ? String(backend('openai')!.maxPerHour) : undefined,
    OPENAI_STRUCTURED_OUTPUT: openai()?.structured,
    REPORT_SCHEDULE: config.reportSchedule,
    APPROVAL_TIMEOUT: seconds(config.people.approvalTimeoutMs),
    MAINTENANCE_WINDOWS: config.people.windows.map((w) => w.text).join(', ') || undefined,
    QUIET_HOURS: config.people.quietHours?.text,
    QUIET_MIN_SEVERITY: config.people.quietFloor,
    TZ: config.people.timeZone,
    SLACK_BOT_TOKEN: config.slackApp.botToken,
    SLACK_APP_TOKEN: config.slackApp.appToken,
    SLACK_CHANNEL: config.slackApp.channel,
    SLACK_API_URL: config.slackApp.apiUrl,
    SLACK_APPROVERS: config.slackApp.approvers.join(',') || undefined,
  } satisfies Record<(typeof settingNames)[number], string | undefined>;
}
