/**
 * `doctor approve <incident>`, `doctor snooze <container> --for 2h`, `doctor unsnooze <container>`
 * and `doctor pending`: talk to the running doctor's control endpoints (control-routes.ts) at
 * --url (default: HEALTH_HOST:HEALTH_PORT), with HEALTH_TOKEN from the environment or .env.
 * stdout is the answer (JSON with --json); a refusal or an error exits non-zero with one line.
 */
import { ConfigError, DoctorError, ExitCode } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { configFromFlags, type CommonFlags } from '../config-flags.js';

export interface ControlFlags extends CommonFlags {
  url?: string;
  json?: boolean;
  for?: string;
  host?: string;
  override?: boolean;
  all?: boolean;
  never?: boolean;
}

/** The doctor answered, but not with what was asked (refused, unknown, unauthorised). */
class ControlError extends DoctorError {
  override readonly exitCode = ExitCode.problemFound;
}

interface Target {
  readonly base: URL;
  readonly token: string;
}

function targetOf(flags: ControlFlags): Target {
  const config = configFromFlags(flags);
  const token = config.health.token;
  if (!token) throw new ConfigError('HEALTH_TOKEN is not set: the control endpoints only answer with the bearer token the doctor was started with');
  const host = ['0.0.0.0', '::', ''].includes(config.health.host) ? '127.0.0.1' : config.health.host;
  const raw = flags.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.health.port}`;
  let base: URL;
  try {
    base = new URL(raw);
  } catch {
    throw new ConfigError(`--url ${JSON.stringify(raw)} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ConfigError('--url must be an http(s) URL');
  return { base, token };
}

async function call(t: Target, method: string, path: string, query: Record<string, string | undefined> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(path, t.base);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(url, { method, headers: { authorization: `Bearer ${t.token}`, 'x-doctor-user': process.env.USER ?? process.env.USERNAME ?? 'cli' }, signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    throw new ControlError(`cannot reach the doctor at ${t.base.origin}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
  }
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ControlError(`the doctor at ${t.base.origin} answered ${res.status} without JSON`);
  }
  if (res.status === 401) throw new ControlError('the doctor refused the token (HEALTH_TOKEN differs from the one it runs with)');
  if (res.status >= 400 && res.status !== 409) throw new ControlError(String(body.error ?? `HTTP ${res.status}`));
  return { status: res.status, body };
}

function print(flags: ControlFlags, body: unknown, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(body)}\n` : `${text}\n`);
}

export async function runApproveCommand(incident: string, flags: ControlFlags): Promise<number> {
  const { status, body } = await call(targetOf(flags), 'POST', `/incidents/${encodeURIComponent(incident)}/approve`);
  print(flags, body, `${String(body.status)}: ${String(body.detail)}`);
  return status === 409 || body.status !== 'restarted' ? ExitCode.problemFound : ExitCode.ok;
}

export async function runSnoozeCommand(container: string, flags: ControlFlags): Promise<number> {
  const t = targetOf(flags);
  if (flags.never) {
    const { body } = await call(t, 'POST', `/containers/${encodeURIComponent(container)}/override`, { host: flags.host });
    print(flags, body, `${container}: never auto-restart (lift with doctor unsnooze ${container} --override)`);
    return ExitCode.ok;
  }
  const forText = flags.for ?? '1h';
  if (parseDuration(forText) === undefined) throw new ConfigError(`--for must be a duration such as 30m, 2h or 1d (got ${JSON.stringify(forText)})`);
  const { body } = await call(t, 'POST', `/containers/${encodeURIComponent(container)}/snooze`, { for: forText, host: flags.host });
  print(flags, body, `${container}: snoozed until ${String(body.snoozedUntil)}`);
  return ExitCode.ok;
}

export async function runUnsnoozeCommand(container: string, flags: ControlFlags): Promise<number> {
  const t = targetOf(flags);
  const which = flags.all ? ['snooze', 'override'] : flags.override ? ['override'] : ['snooze'];
  const lifted: string[] = [];
  let last: Record<string, unknown> = {};
  for (const what of which) {
    const { body } = await call(t, 'DELETE', `/containers/${encodeURIComponent(container)}/${what}`, { host: flags.host });
    lifted.push(...((body.lifted as string[] | undefined) ?? []));
    last = body;
  }
  print(flags, { ...last, lifted }, lifted.length > 0 ? `${container}: lifted ${lifted.join(' and ')}` : `${container}: nothing to lift`);
  return ExitCode.ok;
}

export async function runPendingCommand(flags: ControlFlags): Promise<number> {
  const { body } = await call(targetOf(flags), 'GET', '/pending');
  const pending = (body.pending as Array<Record<string, unknown>>) ?? [];
  const holds = (body.holds as Array<Record<string, unknown>>) ?? [];
  const lines = [
    pending.length === 0 ? 'nothing waits for approval' : 'waiting for approval:',
    ...pending.map((p) => `  ${String(p.incidentId)}  ${String(p.container)}  until ${String(p.expiresAt)}${p.askFirst ? '  (AUTO_FIX=ask)' : ''}\n    ${String(p.reason)}`),
    ...(holds.length > 0 ? ['snoozes and overrides:'] : []),
    ...holds.map((h) => `  ${String(h.container)}${h.snoozedUntil ? `  snoozed until ${String(h.snoozedUntil)}` : ''}${h.neverAutoRestart ? '  never auto-restart' : ''}`),
  ];
  print(flags, body, lines.join('\n'));
  return ExitCode.ok;
}
