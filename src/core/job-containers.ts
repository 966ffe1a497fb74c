/**
 * One-off and job containers: made to run once, so re-running one repeats its side effects (a
 * migration applied twice, a backup written twice, a CI job re-run outside its pipeline). The
 * judge never restarts them; a failed one is reported to a person.
 */
import type { ContainerFacts } from './types.js';

/** The label people add to mark a container as a job (`doctor.job=true`). */
export const LABEL_JOB = 'doctor.job';

/** Why a container counts as a job: the marker that said so, for the record. */
export type JobKind =
  | 'label' // doctor.job=true
  | 'compose-run' // docker compose run
  | 'gitlab-runner'
  | 'github-actions'
  | 'jenkins'
  | 'drone'
  | 'woodpecker'
  | 'auto-remove' // docker run --rm
  | 'task-name'; // a migration, backup or other one-shot task by its compose service or name

/** Labels CI runners put on the containers they create, by runner. */
const RUNNER_LABELS: ReadonlyArray<{ readonly kind: JobKind; readonly test: (key: string, value: string) => boolean }> = [
  // GitLab Runner's docker executor labels every container it makes (gitlab-runner
  // executors/docker/internal/labels): `com.gitlab.gitlab-runner.managed=true`, `.type=build`, `.job.id`.
  { kind: 'gitlab-runner', test: (key) => key.startsWith('com.gitlab.gitlab-runner.') },
  // Jenkins docker-plugin (com.nirima.jenkins.plugins.docker.DockerContainerLabelKeys): `...JenkinsId`, `...JenkinsServerUrl`.
  { kind: 'jenkins', test: (key) => key.startsWith('com.nirima.jenkins.plugins.docker.') },
  // Drone's docker runner: `io.drone=true`, `io.drone.build.number`, `io.drone.repo.name`.
  { kind: 'drone', test: (key) => key === 'io.drone' || key.startsWith('io.drone.') },
  // Woodpecker's docker backend: `wp_uuid`, `wp_step` on every step container.
  { kind: 'woodpecker', test: (key) => key === 'wp_uuid' || key === 'wp_step' },
];

/**
 * Environment CI runners give job containers when no label marks them: the GitHub Actions runner
 * labels its containers only with a per-runner hash, but sets `GITHUB_ACTIONS=true` in a job
 * container; the Docker Pipeline plugin passes Jenkins' build variables.
 */
const RUNNER_ENV: ReadonlyArray<{ readonly kind: JobKind; readonly test: (env: ReadonlyMap<string, string>) => boolean }> = [
  { kind: 'github-actions', test: (env) => env.get('GITHUB_ACTIONS') === 'true' },
  { kind: 'gitlab-runner', test: (env) => env.get('GITLAB_CI') === 'true' },
  { kind: 'jenkins', test: (env) => env.has('JENKINS_URL') && (env.has('BUILD_TAG') || env.has('BUILD_ID')) },
  { kind: 'drone', test: (env) => env.get('DRONE') === 'true' },
  { kind: 'woodpecker', test: (env) => env.get('CI') === 'woodpecker' },
];

/**
 * Names of one-shot tasks. Matched against the compose service (or the container name) as a
 * whole word, so `migrate`, `db-migrate`, `app_migrations`, `backup-nightly` are jobs while
 * `migrator-ui` or `backupd` (a daemon) are not judged by name. Batch work by what it does or
 * when it runs counts too (`nightly-backups`, `cron-cleanup`, `batch-import`, `invoice-export`);
 * a service wrongly taken for a job is escalated instead of restarted, the safe side.
 */
const TASK_NAME = /(?:^|[-_.])(?:migrat(?:e|ion|ions)|db-?init|init-?db|seed(?:er)?|backups?|restores?|bootstrap|setup|provision(?:er)?|cron-?jobs?|one-?off|oneshot|jobs?|batch(?:es)?|import|export|cleanup|clean-up|prune|purge|dump|etl|reindex|vacuum|nightly|hourly|daily|weekly|monthly)(?:$|[-_.\d])/i;

const TRUE_VALUES = new Set(['true', '1', 'yes', 'on']);

/**
 * Whether these facts describe a one-off or job container, and which marker says so; undefined
 * for a service. Explicit markers first: `doctor.job=false` keeps a container a service whatever
 * its name or `--rm` say.
 */
export function jobKind(facts: ContainerFacts): JobKind | undefined {
  const { labels } = facts;
  const own = labels[LABEL_JOB]?.trim().toLowerCase();
  if (own !== undefined && own !== '') return TRUE_VALUES.has(own) ? 'label' : undefined;
  // Compose writes `com.docker.compose.oneoff=True` on containers made by `docker compose run`
  // (and `False` on services); compare without case, as v1 and v2 spell it alike but tools vary.
  if (labels['com.docker.compose.oneoff']?.toLowerCase() === 'true') return 'compose-run';
  for (const [key, value] of Object.entries(labels)) {
    const runner = RUNNER_LABELS.find((r) => r.test(key, value));
    if (runner) return runner.kind;
  }
  const env = environmentOf(facts.env);
  const byEnv = RUNNER_ENV.find((r) => r.test(env));
  if (byEnv) return byEnv.kind;
  if (facts.autoRemove) return 'auto-remove';
  const service = labels['com.docker.compose.service'] ?? facts.ref.name.replace(/^\//, '');
  if (TASK_NAME.test(service)) return 'task-name';
  return undefined;
}

/** A phrase for reasons and reports: "a docker compose run container", "a GitLab CI job". */
export function describeJobKind(kind: JobKind): string {
  switch (kind) {
    case 'label':
      return `a job (labelled ${LABEL_JOB}=true)`;
    case 'compose-run':
      return 'a one-off container (docker compose run)';
    case 'gitlab-runner':
      return 'a GitLab CI job container';
    case 'github-actions':
      return 'a GitHub Actions job container';
    case 'jenkins':
      return 'a Jenkins build container';
    case 'drone':
      return 'a Drone CI step container';
    case 'woodpecker':
      return 'a Woodpecker CI step container';
    case 'auto-remove':
      return 'a one-off container (docker run --rm)';
    case 'task-name':
      return 'a one-shot task (migration, backup or setup, by its name)';
  }
}

function environmentOf(env: readonly string[]): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}
