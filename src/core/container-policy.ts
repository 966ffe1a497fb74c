/**
 * Per-container policy: the configured limits refined by the container's labels and by what its
 * image is. Resolved once per decision so `decideAction` only reads plain data.
 */
import type { ContainerFacts, Policy } from './types.js';

/** `doctor.enable=false`: never watch this container. */
export const LABEL_ENABLE = 'doctor.enable';
/** `doctor.restart=never`: never restart it automatically; always escalate. */
export const LABEL_RESTART = 'doctor.restart';
/** `doctor.stateful=true|false`: overrides the image-name detection of stateful services. */
export const LABEL_STATEFUL = 'doctor.stateful';

/** Died this many times within the window: a crash loop (issue: 3 or more in 10 minutes). */
export const DEFAULT_CRASH_LOOP = { deaths: 3, windowMs: 10 * 60 * 1000 } as const;
/** OOM-killed this many times within the window: a leak, not bad luck (issue: 3 or more in 24 hours). */
export const DEFAULT_OOM_LEAK = { ooms: 3, windowMs: 24 * 60 * 60 * 1000 } as const;

/** FRESH_EXIT_WINDOW's default: an exit found at start-up is acted on only when this recent. */
export const DEFAULT_FRESH_EXIT_MS = 10 * 60 * 1000;
/** `doctor.stop-timeout=<seconds>`: how long a restart waits for the stop before it kills. */
export const LABEL_STOP_TIMEOUT = 'doctor.stop-timeout';
/** Docker's own default when neither the container nor the label says (moby container.DefaultStopTimeout). */
const DEFAULT_STOP_TIMEOUT_S = 10;

/**
 * How long the doctor's restart lets the container stop: the `doctor.stop-timeout` label, else
 * the container's own StopTimeout (compose `stop_grace_period`), else Docker's 10 s.
 */
export function stopTimeoutSeconds(facts: ContainerFacts): number {
  const label = facts.labels[LABEL_STOP_TIMEOUT]?.trim();
  if (label && /^\d+$/.test(label)) return Math.min(Number(label), 3600);
  return facts.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_S;
}

/** Beyond the stop timeout, for Docker's kill and the die event to arrive. */
export const STOP_SLACK_MS = 2_000;
/** How long a person's stop may drain when the container's own stop timeout is not known. */
export const DEFAULT_DRAIN_BOUND_MS = DEFAULT_STOP_TIMEOUT_S * 1000 + STOP_SLACK_MS;

/**
 * How long a person's terminating signal may take to end the process: as long as `docker stop`
 * would wait before its SIGKILL (the stop timeout), plus the slack for that kill and the die event.
 * Still running after that, the process ignored the signal.
 */
export function drainBoundMs(facts: ContainerFacts): number {
  return stopTimeoutSeconds(facts) * 1000 + STOP_SLACK_MS;
}

/** The configured part of the policy, before labels. */
export interface PolicyBase {
  readonly autoFix: boolean;
  readonly maxRestartsPerHour: number;
  readonly minDeadTimeMs: number;
  readonly freshExitMs?: number;
  readonly crashLoop?: Policy['crashLoop'];
  readonly oomLeak?: Policy['oomLeak'];
}

const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'disable', 'disabled']);
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 'enable', 'enabled']);

/** A label read as a boolean; undefined when absent or not a recognisable boolean word. */
function readBooleanLabel(labels: Readonly<Record<string, string>>, name: string): boolean | undefined {
  const raw = labels[name]?.trim().toLowerCase();
  if (raw === undefined) return undefined;
  if (TRUE_WORDS.has(raw)) return true;
  if (FALSE_WORDS.has(raw)) return false;
  return undefined;
}

/** False only when the container opted out with `doctor.enable=false` (or `0`, `no`, `off`). */
export function isWatchable(labels: Readonly<Record<string, string>>): boolean {
  return readBooleanLabel(labels, LABEL_ENABLE) !== false;
}

/** `doctor.restart=never`; `false`, `no`, `off` and `0` are read the same way, since people write them. */
export function isRestartForbidden(labels: Readonly<Record<string, string>>): boolean {
  const raw = labels[LABEL_RESTART]?.trim().toLowerCase();
  return raw !== undefined && (raw === 'never' || FALSE_WORDS.has(raw));
}

/**
 * Services that keep data, identified by a token of the image's repository name. Restarting one
 * behind its operator's back risks an unclean recovery, a failover, or a replica falling behind, so
 * by default the doctor escalates instead. memcached is left out on purpose: it is a cache that
 * starts empty by design, so a restart loses nothing that was promised to be kept.
 */
const STATEFUL_NAMES = new Set([
  'postgres', 'postgresql', 'postgis', 'timescaledb', 'timescale', 'pgvector',
  'mysql', 'mariadb', 'percona', 'xtradb', 'mongo', 'mongodb', 'redis', 'valkey', 'keydb', 'dragonfly',
  'elasticsearch', 'opensearch', 'solr', 'cassandra', 'scylla', 'scylladb', 'clickhouse', 'influxdb',
  'couchdb', 'couchbase', 'neo4j', 'arangodb', 'rethinkdb', 'rabbitmq', 'kafka', 'redpanda', 'pulsar',
  'zookeeper', 'etcd', 'consul', 'minio', 'vault', 'mssql', 'sqlserver', 'oracle', 'cockroach',
  'cockroachdb', 'yugabyte', 'questdb', 'qdrant', 'weaviate', 'milvus', 'meilisearch', 'typesense',
]);

/**
 * Tokens that mark a companion tool rather than the service itself (`mongo-express`,
 * `redis-commander`, `postgres-exporter`, `kafka-ui`, `opensearch-dashboards`): stateless.
 */
const TOOL_TOKENS = new Set([
  'express', 'commander', 'exporter', 'ui', 'admin', 'dashboards', 'dashboard', 'insight', 'cli', 'client',
  'operator', 'proxy', 'backup', 'web', 'gui', 'browser', 'manager', 'worker', 'migrate', 'migrations',
  'migration', 'init', 'setup', 'connect', 'rest', 'sidecar', 'agent', 'metrics', 'monitor',
]);

/**
 * Repository names too generic to say what they are; the namespace above them does
 * (`mcr.microsoft.com/mssql/server`, `couchbase/server`, `container-registry.oracle.com/database/express`).
 */
const GENERIC_NAMES = new Set(['server', 'database', 'enterprise', 'express', 'free', 'community', 'standard', 'db']);

/** The repository path of an image reference, lower-case, without registry host, tag or digest. */
export function imageRepositoryPath(image: string): string[] {
  const withoutDigest = image.trim().toLowerCase().split('@')[0] ?? '';
  const parts = withoutDigest.split('/').filter((p) => p.length > 0);
  const last = parts.pop() ?? '';
  // A tag follows the last colon of the last component; a colon earlier is a registry port.
  parts.push(last.split(':')[0] ?? '');
  const first = parts[0];
  if (parts.length > 1 && first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost')) parts.shift();
  return parts;
}

function tokensOf(name: string): string[] {
  return name.split(/[-_.]+/).filter((t) => t.length > 0);
}

function namesStatefulService(name: string): boolean {
  const tokens = tokensOf(name);
  return tokens.some((t) => STATEFUL_NAMES.has(t)) && !tokens.some((t) => TOOL_TOKENS.has(t));
}

/** Whether the image, by its repository name, is a stateful service (a database, queue, store). */
export function isStatefulImage(image: string): boolean {
  const path = imageRepositoryPath(image);
  const last = path[path.length - 1] ?? '';
  if (namesStatefulService(last)) return true;
  if (GENERIC_NAMES.has(last)) {
    const parent = path[path.length - 2];
    return parent !== undefined && (parent === 'database' || namesStatefulService(parent));
  }
  return false;
}

/** Whether `facts` describe the doctor's own container (`selfId`: an id, a 12+ char id prefix, or a name). */
export function isSelfContainer(facts: ContainerFacts, selfId: string | undefined): boolean {
  const self = selfId?.trim().replace(/^\//, '').toLowerCase();
  if (!self) return false;
  const id = facts.ref.id.toLowerCase();
  // Inside a container the hostname is the 12-character short id.
  if (self.length >= 12 && /^[0-9a-f]+$/.test(self) && (id.startsWith(self) || self.startsWith(id))) return true;
  return facts.ref.name.replace(/^\//, '').toLowerCase() === self;
}

/** The decision policy for one container: configuration refined by its labels and image. */
export function resolvePolicy(facts: ContainerFacts, base: PolicyBase, opts: { selfId?: string } = {}): Policy {
  const statefulLabel = readBooleanLabel(facts.labels, LABEL_STATEFUL);
  return {
    autoFix: base.autoFix,
    maxRestartsPerHour: base.maxRestartsPerHour,
    minDeadTimeMs: base.minDeadTimeMs,
    freshExitMs: base.freshExitMs ?? DEFAULT_FRESH_EXIT_MS,
    crashLoop: base.crashLoop ?? DEFAULT_CRASH_LOOP,
    oomLeak: base.oomLeak ?? DEFAULT_OOM_LEAK,
    restartNever: isRestartForbidden(facts.labels),
    stateful: statefulLabel ?? isStatefulImage(facts.ref.image),
    isSelf: isSelfContainer(facts, opts.selfId),
  };
}
