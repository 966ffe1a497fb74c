import { loadConfig, type Config } from '../config/load-config.js';
import type { SettingName } from '../config/config-schema.js';

/** Flags every command may carry, as commander hands them over. */
export interface CommonFlags {
  envFile?: string;
  /** `--env-file` as bin/doctor.js passes it on (see there). */
  doctorEnvFile?: string;
  dockerHost?: string;
  stateDir?: string;
  logLines?: string;
  targets?: string;
  interval?: string;
  observeOnly?: boolean;
}

/** Maps flags onto setting names so the one schema validates every source alike. */
export function configFromFlags(flags: CommonFlags): Config {
  const mapped: Partial<Record<SettingName, string>> = {
    DOCKER_HOST: flags.dockerHost,
    STATE_DIR: flags.stateDir,
    LOG_LINES: flags.logLines,
    TARGET_CONTAINERS: flags.targets,
    CHECK_INTERVAL: flags.interval,
    AUTO_FIX: flags.observeOnly ? 'false' : undefined,
  };
  const config = loadConfig({ env: process.env, flags: mapped, envFile: flags.doctorEnvFile ?? flags.envFile });
  for (const warning of config.warnings) process.stderr.write(`doctor: warning: ${warning}\n`);
  return config;
}
