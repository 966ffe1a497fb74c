/**
 * Gathers what root-cause attribution reads (issue 12): the other watched containers the failing
 * one's dependency address can name. One call from the incident handler's gather, only for a
 * dependency failure; the decision itself is core/root-cause.ts and the judge.
 */
import type { Config } from '../config/load-config.js';
import { ContainerNotFoundError } from '../core/errors.js';
import { COMPOSE_SERVICE } from '../core/neighbours.js';
import { dependencyAddress, findRootCause, hostOf } from '../core/root-cause.js';
import type { ContainerFacts, Evidence, RootCause, RulesVerdict } from '../core/types.js';
import type { DockerEngine } from './ports.js';
import { runLimited } from './run-limited.js';
import { selectTargets } from './target-filter.js';

/** Beyond the containers a name points at, at most this many are inspected for an alias or IP. */
const MAX_INSPECTED = 50;

export async function lookUpRootCause(
  engine: DockerEngine,
  failing: ContainerFacts,
  rules: RulesVerdict,
  evidence: Evidence,
  scope: { readonly config: Pick<Config, 'targets' | 'targetLabel'>; readonly selfId?: string },
): Promise<RootCause | undefined> {
  const address = dependencyAddress(rules, evidence);
  if (address === undefined) return undefined;
  const host = hostOf(address);
  const listed = selectTargets(await engine.listContainers(), scope.config.targets, scope.selfId, scope.config.targetLabel).filter((c) => c.id !== failing.ref.id);
  // Names first (cheap to tell from the list); aliases and IPs need an inspect each, bounded.
  const named = listed.filter((c) => c.name.toLowerCase() === host || c.labels[COMPOSE_SERVICE]?.toLowerCase() === host);
  const rest = named.length > 0 ? [] : listed.slice(0, MAX_INSPECTED);
  const others: ContainerFacts[] = [];
  await runLimited([...named, ...rest], 8, async (c) => {
    try {
      others.push(await engine.inspect(c.id));
    } catch (error) {
      if (!(error instanceof ContainerNotFoundError)) throw error;
    }
  });
  // In another's namespace, that one's networks count: make sure it is among the inspected.
  if (failing.networkMode.startsWith('container:')) {
    const owner = failing.networkMode.slice('container:'.length);
    if (!others.some((o) => o.ref.id === owner)) others.push(await engine.inspect(owner).catch(() => failing));
  }
  return findRootCause(failing, address, others.filter((o) => o.ref.id !== failing.ref.id));
}
