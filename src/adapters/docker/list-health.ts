import type { HealthStatus } from '../../core/types.js';

/**
 * A running container's health as the container list reports it, so a reconcile cycle need not
 * inspect every container. The Engine writes it into the list's human `Status` text:
 * `Up 3 minutes (healthy)`, `Up 3 minutes (unhealthy)`, `Up 2 seconds (health: starting)`, and
 * plain `Up 3 minutes` without a health check (moby container/state.go, `State.String`).
 * Undefined when the text is not in that form (another engine's dialect): the caller inspects.
 */
export function healthFromListStatus(state: string | undefined, status: string | undefined): HealthStatus | undefined {
  if (state !== 'running' || status === undefined || !status.startsWith('Up ')) return undefined;
  const tag = /\(([^()]*)\)\s*$/.exec(status)?.[1]?.trim().toLowerCase();
  if (tag === undefined) return 'none';
  if (tag === 'healthy' || tag === 'unhealthy') return tag;
  if (tag === 'health: starting') return 'starting';
  return undefined;
}
