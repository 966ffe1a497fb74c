/**
 * Secrets from files, for Docker and compose secrets (`/run/secrets/<name>`): every secret setting
 * may instead be given as `<NAME>_FILE`, the path of a file holding the value, as the official
 * images do (postgres, mysql: `POSTGRES_PASSWORD_FILE`).
 * https://docs.docker.com/compose/how-tos/use-secrets/
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, describeError } from '../core/errors.js';

/** The settings whose values are secrets: masked by `doctor config`, readable from `<NAME>_FILE`. */
export const SECRET_SETTINGS: readonly string[] = ['ANTHROPIC_API_KEY', 'SLACK_WEBHOOK_URL', 'HEALTH_TOKEN', 'NOTIFY_URLS', 'OPENAI_API_KEY', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'];

/** Secret files are a line or two; anything larger is the wrong file. */
const MAX_SECRET_BYTES = 64 * 1024;

/**
 * The file's content without its trailing newline (editors and `echo` add one; a secret never ends
 * with one). A missing, unreadable, empty or oversized file is a ConfigError naming the variable.
 */
export function readSecretFile(variable: string, file: string, cwd: string): string {
  const full = path.resolve(cwd, file);
  let content: Buffer;
  try {
    content = readFileSync(full);
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${full}: ${describeError(error)}`, { cause: error });
  }
  if (content.length > MAX_SECRET_BYTES) throw new ConfigError(`${variable}: ${full} is ${content.length} bytes; a secret file holds one value`);
  const value = content.toString('utf8').replace(/\r?\n$/, '');
  if (value.trim() === '') throw new ConfigError(`${variable}: ${full} is empty`);
  return value;
}

/** A secret as `doctor config` shows it: that it is set and how long, never any of it. */
export function maskSecret(value: string): string {
  return `**** (${value.length} chars)`;
}
