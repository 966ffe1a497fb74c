/**
 * The neighbours of one container as `doctor diagnose` shows them (issue 12): what it depends on
 * (the namespace it joined, its compose depends_on) and what depends on it, each with its state.
 */
import type { Config } from '../config/load-config.js';
import { ContainerNotFoundError } from '../core/errors.js';
import { COMPOSE_DEPENDS_ON, composeServiceOf, directLink, findDependents } from '../core/neighbours.js';
import type { ContainerFacts } from '../core/types.js';
import type { DockerEngine } from './ports.js';
import { runLimited } from './run-limited.js';
import { selectTargets } from './target-filter.js';

export interface NeighbourView {
  readonly name: string;
  /** `it depends on this` or `depends on it`. */
  readonly direction: 'depends-on' | 'dependent';
  readonly via: string;
  readonly status: string;
  readonly health: string;
}

export async function readNeighbours(engine: DockerEngine, facts: ContainerFacts, scope: { readonly config: Pick<Config, 'targets' | 'targetLabel'>; readonly selfId?: string }): Promise<NeighbourView[]> {
  const listed = selectTargets(await engine.listContainers(), scope.config.targets, scope.selfId, scope.config.targetLabel).filter((c) => c.id !== facts.ref.id);
  const mine = composeServiceOf(facts);
  const owner = facts.networkMode.startsWith('container:') ? facts.networkMode.slice('container:'.length) : undefined;
  // Only those that can be linked: sharing a namespace, in the same compose project, or its namespace owner.
  const candidates = listed.filter((c) => (c.networkMode ?? '').startsWith('container:') || COMPOSE_DEPENDS_ON in c.labels || (mine && c.labels['com.docker.compose.project'] === mine.project) || (owner !== undefined && c.id.startsWith(owner)));
  const others: ContainerFacts[] = [];
  await runLimited(candidates, 8, async (c) => {
    try {
      others.push(await engine.inspect(c.id));
    } catch (error) {
      if (!(error instanceof ContainerNotFoundError)) throw error;
    }
  });
  const state = (f: ContainerFacts) => ({ status: f.status, health: f.health.status });
  const upstream = others.flatMap((o) => {
    const link = directLink(facts, o);
    return link ? [{ name: o.ref.name, direction: 'depends-on' as const, via: link.via, ...state(o) }] : [];
  });
  const downstream = findDependents(facts, others).map((l) => ({ name: l.dependent.ref.name, direction: 'dependent' as const, via: l.on.id === facts.ref.id ? l.via : `${l.via} (through ${l.on.name})`, ...state(l.dependent) }));
  return [...upstream, ...downstream];
}
