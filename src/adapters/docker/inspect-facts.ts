/**
 * Mapping `GET /containers/{id}/json` to ContainerFacts. A pure function of the JSON, so it is
 * tested with inspect output recorded from a real engine (test/fixtures/inspect).
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/ContainerInspect
 */
import type { ContainerFacts, ContainerStatus, HealthStatus, NetworkAttachment, RestartPolicyName } from '../../core/types.js';
import { byText } from '../../core/text-order.js';

/** The parts of the inspect JSON the doctor reads. Every field is optional: engines differ. */
export interface InspectJson {
  readonly Id?: string;
  readonly Name?: string;
  /** The image ID (`sha256:...`); `Config.Image` is the name the container was created from. */
  readonly Image?: string;
  /** Top level, not under State. */
  readonly RestartCount?: number;
  readonly State?: {
    readonly Status?: string;
    readonly Running?: boolean;
    readonly Paused?: boolean;
    readonly Restarting?: boolean;
    readonly OOMKilled?: boolean;
    readonly Dead?: boolean;
    readonly ExitCode?: number;
    readonly Error?: string;
    readonly StartedAt?: string;
    readonly FinishedAt?: string;
    /** Present only when the container has a healthcheck. */
    readonly Health?: {
      readonly Status?: string;
      readonly FailingStreak?: number;
      readonly Log?: ReadonlyArray<{ readonly Output?: string; readonly Start?: string; readonly End?: string; readonly ExitCode?: number }> | null;
    } | null;
  };
  readonly Config?: {
    readonly Image?: string;
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly Tty?: boolean;
    readonly OpenStdin?: boolean;
    readonly Env?: readonly string[] | null;
    readonly StopSignal?: string;
    readonly StopTimeout?: number | null;
    /** Its own health check; Retries 0 or absent means Docker's default, 3. */
    readonly Healthcheck?: { readonly Retries?: number } | null;
  };
  readonly HostConfig?: {
    readonly RestartPolicy?: { readonly Name?: string; readonly MaximumRetryCount?: number } | null;
    readonly Memory?: number;
    readonly AutoRemove?: boolean;
    readonly NetworkMode?: string;
  };
  readonly NetworkSettings?: {
    readonly Networks?: Readonly<Record<string, NetworkJson | null>> | null;
  } | null;
}

/** One `NetworkSettings.Networks` entry (inspect and the container list share the shape). */
export interface NetworkJson {
  readonly IPAddress?: string;
  readonly Aliases?: readonly string[] | null;
  /** Engine 25+: every name the embedded DNS answers for the container on this network. */
  readonly DNSNames?: readonly string[] | null;
}

const STATUSES: ReadonlySet<string> = new Set<ContainerStatus>([
  'created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead',
]);
const POLICIES: ReadonlySet<string> = new Set<RestartPolicyName>(['no', 'always', 'unless-stopped', 'on-failure']);
const HEALTH: ReadonlySet<string> = new Set<HealthStatus>(['none', 'starting', 'healthy', 'unhealthy']);

/** Bound on the health probe output kept: Docker keeps up to 4 KiB per probe (healthcheck.go). */
const MAX_HEALTH_OUTPUT = 4096;

/** Normalises one inspect result. `host` names the engine it came from. */
export function toContainerFacts(inspect: InspectJson, host: string): ContainerFacts {
  const state = inspect.State ?? {};
  const config = inspect.Config ?? {};
  const status = readStatus(state);
  return {
    ref: {
      id: inspect.Id ?? '',
      name: stripSlash(inspect.Name ?? ''),
      // The name it was created from reads better than `sha256:...`; the ID is the fallback.
      image: config.Image || inspect.Image || '',
      host,
    },
    status,
    running: state.Running === true,
    exitCode: readExitCode(state, status),
    oomKilled: state.OOMKilled === true,
    stateError: state.Error ?? '',
    startedAt: readTime(state.StartedAt),
    finishedAt: readTime(state.FinishedAt),
    restartCount: inspect.RestartCount ?? 0,
    restartPolicy: readRestartPolicy(inspect.HostConfig?.RestartPolicy),
    health: readHealth(state.Health, config.Healthcheck?.Retries),
    labels: { ...(config.Labels ?? {}) },
    tty: config.Tty === true,
    openStdin: config.OpenStdin === true,
    env: [...(config.Env ?? [])],
    memoryLimit: inspect.HostConfig?.Memory ?? 0,
    autoRemove: inspect.HostConfig?.AutoRemove === true,
    networkMode: inspect.HostConfig?.NetworkMode ?? '',
    stopSignal: normaliseSignal(config.StopSignal),
    stopTimeoutSeconds: typeof config.StopTimeout === 'number' && config.StopTimeout >= 0 ? config.StopTimeout : null,
    networks: readNetworks(inspect.NetworkSettings?.Networks),
  };
}

/** The attached networks with IP and DNS names, sorted by name so facts compare stably. */
export function readNetworks(networks: Readonly<Record<string, NetworkJson | null>> | null | undefined): NetworkAttachment[] {
  return Object.entries(networks ?? {})
    .map(([name, n]) => ({ name, ip: n?.IPAddress ?? '', aliases: [...new Set([...(n?.Aliases ?? []), ...(n?.DNSNames ?? [])])] }))
    .sort((a, b) => byText(a.name, b.name));
}

/**
 * `Config.StopSignal` as `SIGTERM`-style name. Docker accepts `TERM`, `SIGTERM`, `sigterm` or a
 * number (moby pkg/signal ParseSignal); unset means SIGTERM.
 */
export function normaliseSignal(value: string | undefined): string {
  const raw = (value ?? '').trim().toUpperCase();
  if (raw === '') return 'SIGTERM';
  if (/^\d+$/.test(raw)) return SIGNAL_BY_NUMBER[Number(raw)] ?? raw;
  return raw.startsWith('SIG') ? raw : `SIG${raw}`;
}

const SIGNAL_BY_NUMBER: Readonly<Record<number, string>> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 10: 'SIGUSR1', 12: 'SIGUSR2', 15: 'SIGTERM', 28: 'SIGWINCH',
};

/** Container names come back as `/name` from the API. */
export function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

function readStatus(state: NonNullable<InspectJson['State']>): ContainerStatus {
  const reported = state.Status ?? '';
  if (STATUSES.has(reported)) return reported as ContainerStatus;
  // Engines that predate State.Status (API < 1.21) or speak a dialect of it (Podman's `stopped`).
  if (state.Dead) return 'dead';
  if (state.Restarting) return 'restarting';
  if (state.Paused) return 'paused';
  if (state.Running) return 'running';
  return readTime(state.StartedAt) === null ? 'created' : 'exited';
}

/**
 * Docker resets ExitCode to 0 when the process starts, so a running container's 0 means nothing;
 * a created container that never ran has 0 too, unless the start failed (127 for a missing
 * command, with State.Error set).
 */
function readExitCode(state: NonNullable<InspectJson['State']>, status: ContainerStatus): number | null {
  const code = state.ExitCode;
  if (typeof code !== 'number') return null;
  if (status === 'running' || status === 'paused') return null;
  if (status === 'created' && code === 0 && !state.Error) return null;
  return code;
}

/** Docker writes the zero time `0001-01-01T00:00:00Z` for "never". */
function readTime(value: string | undefined): string | null {
  if (!value || value.startsWith('0001-01-01')) return null;
  return value;
}

function readRestartPolicy(policy: { Name?: string; MaximumRetryCount?: number } | null | undefined): ContainerFacts['restartPolicy'] {
  // Containers created through the API without a policy report Name ''; it means `no`.
  const name = policy?.Name ?? '';
  return {
    name: POLICIES.has(name) ? (name as RestartPolicyName) : 'no',
    maximumRetryCount: policy?.MaximumRetryCount ?? 0,
  };
}

function readHealth(health: NonNullable<InspectJson['State']>['Health'], retries: number | undefined): ContainerFacts['health'] {
  if (!health) return { status: 'none', failingStreak: 0, lastOutput: null, probes: [] };
  const status = health.Status ?? 'none';
  const log = health.Log ?? [];
  // Unhealthy: what the failing probe said (a probe that succeeded after, or a hung one Docker has
  // not logged yet, would quote a healthy answer such as "serving" as the failure).
  const failing = status === 'unhealthy' ? log.filter((p) => p.ExitCode !== 0) : log;
  const last = failing.length > 0 ? failing[failing.length - 1] : undefined;
  return {
    status: HEALTH.has(status) ? (status as HealthStatus) : 'none',
    failingStreak: health.FailingStreak ?? 0,
    lastOutput: last?.Output === undefined ? null : last.Output.trimEnd().slice(0, MAX_HEALTH_OUTPUT),
    probes: log.map((p) => ({ start: p.Start ?? '', end: p.End ?? '', exitCode: typeof p.ExitCode === 'number' ? p.ExitCode : -1 })),
    ...(retries !== undefined && retries > 0 ? { retries } : {}),
  };
}
