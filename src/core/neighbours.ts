/**
 * Containers have neighbours (issue 12): which watched containers depend on another one, so a
 * restart of the one calls for a restart of the others. Two links count:
 * - the network namespace: `HostConfig.NetworkMode` `container:<id>` (`docker run --network
 *   container:x`; Compose writes `network_mode: service:x` the same way). The engine stores the
 *   full id it resolved at create time; when the owner restarts, the dependent keeps running in
 *   the old, now empty namespace and needs a restart to join the new one;
 * - Compose's `depends_on` with `restart: true`, which Compose writes into the
 *   `com.docker.compose.depends_on` label as `service:condition:restart`, comma-separated
 *   (compose-go types/project.go; `restart` since Compose 2.17, absent before and read as false).
 * Pure functions of the facts; the dependents pass gathers them.
 */
import type { ContainerFacts, ContainerRef } from './types.js';
import { byText } from './text-order.js';

export const COMPOSE_PROJECT = 'com.docker.compose.project';
export const COMPOSE_SERVICE = 'com.docker.compose.service';
export const COMPOSE_DEPENDS_ON = 'com.docker.compose.depends_on';
export const COMPOSE_WORKING_DIR = 'com.docker.compose.project.working_dir';

/** One entry of the depends_on label. */
export interface ComposeDependency {
  readonly service: string;
  /** `service_started`, `service_healthy`, `service_completed_successfully`. */
  readonly condition: string;
  /** Compose's `restart: true`: restart this service after the dependency restarts. */
  readonly restart: boolean;
}

/** Parses `db:service_healthy:true,redis:service_started:false` (older Compose writes `db:service_started`). */
export function parseDependsOn(label: string | undefined): ComposeDependency[] {
  if (!label) return [];
  return label
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [service = '', condition = 'service_started', restart = 'false'] = entry.split(':');
      return { service, condition, restart: restart.toLowerCase() === 'true' };
    })
    .filter((d) => d.service.length > 0);
}

/** The compose project and service a container belongs to, from the labels Compose sets. */
export function composeServiceOf(facts: Pick<ContainerFacts, 'labels'>): { readonly project: string; readonly service: string } | undefined {
  const project = facts.labels[COMPOSE_PROJECT];
  const service = facts.labels[COMPOSE_SERVICE];
  return project && service ? { project, service } : undefined;
}

/** The container whose network namespace this one joined (`container:<id or name>`), if any. */
export function namespaceOwner(facts: Pick<ContainerFacts, 'networkMode'>): string | undefined {
  const mode = facts.networkMode;
  return mode.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

/** Whether `ref` (an id, an id prefix of 12 or more, or a name) names this container. */
export function refersTo(ref: string, facts: Pick<ContainerFacts, 'ref'>): boolean {
  if (ref === facts.ref.id || ref === facts.ref.name) return true;
  return ref.length >= 12 && facts.ref.id.startsWith(ref);
}

export type DependencyKind = 'network-namespace' | 'depends-on';

/** One dependent of a restarted container, in the order they must be restarted. */
export interface DependentLink {
  readonly dependent: ContainerFacts;
  /** The container it depends on directly: the restarted one, or a dependent restarted before it. */
  readonly on: ContainerRef;
  readonly kind: DependencyKind;
  /** How it is written: `network_mode container:<id>` or `depends_on db (restart: true)`. */
  readonly via: string;
}

/** How `dependent` depends on `parent` directly, if it does. */
export function directLink(dependent: ContainerFacts, parent: ContainerFacts): { kind: DependencyKind; via: string } | undefined {
  if (dependent.ref.id === parent.ref.id || dependent.ref.host !== parent.ref.host) return undefined;
  const owner = namespaceOwner(dependent);
  if (owner !== undefined && refersTo(owner, parent)) return { kind: 'network-namespace', via: `network mode container:${parent.ref.name}` };
  const mine = composeServiceOf(dependent);
  const theirs = composeServiceOf(parent);
  if (mine && theirs && mine.project === theirs.project) {
    const dep = parseDependsOn(dependent.labels[COMPOSE_DEPENDS_ON]).find((d) => d.service === theirs.service);
    if (dep?.restart) return { kind: 'depends-on', via: `depends_on ${theirs.service} (${dep.condition}, restart: true)` };
  }
  return undefined;
}

/**
 * Every container that depends on `parent`, directly or through another dependent, each once, in
 * dependency order: a container comes after everything it depends on within the group (a
 * topological order, so `vpn <- app <- worker` restarts app before worker even when worker also
 * depends on vpn). Ties keep the order of `all`, sorted by name for stable output.
 */
export function findDependents(parent: ContainerFacts, all: readonly ContainerFacts[]): DependentLink[] {
  const others = [...all].filter((c) => c.ref.id !== parent.ref.id).sort((a, b) => byText(a.ref.name, b.ref.name));
  // Reachable from the parent along dependency links.
  const reached = new Map<string, ContainerFacts>();
  const frontier: ContainerFacts[] = [parent];
  while (frontier.length > 0) {
    const current = frontier.shift()!;
    for (const c of others) {
      if (reached.has(c.ref.id) || !directLink(c, current)) continue;
      reached.set(c.ref.id, c);
      frontier.push(c);
    }
  }
  // Kahn's order over the reached set: a container is placed once all it depends on are placed.
  const placed = new Map<string, ContainerFacts>([[parent.ref.id, parent]]);
  const order: DependentLink[] = [];
  let pending = [...reached.values()];
  while (pending.length > 0) {
    const ready = pending.filter((c) => pending.every((o) => o === c || !directLink(c, o)));
    // A cycle (Compose refuses them, labels set by hand may not): place the rest as found.
    const batch = ready.length > 0 ? ready : pending;
    for (const c of batch) {
      const on = [...placed.values()].reverse().find((p) => directLink(c, p)) ?? parent;
      const link = directLink(c, on) ?? { kind: 'network-namespace' as const, via: '' };
      order.push({ dependent: c, on: on.ref, kind: link.kind, via: link.via });
      placed.set(c.ref.id, c);
    }
    pending = pending.filter((c) => !batch.includes(c));
  }
  return order;
}

/**
 * Containers left in the namespace of a container that no longer exists, when that container had
 * the name `parent` has now: the parent was recreated (compose up after a change, `docker rm` and
 * `run`), and a restart of the dependent would fail ("joining network namespace of container: No
 * such container"). Only recreating the dependent points it at the new one. `formerName` tells
 * the name a container id had (from its story), undefined when unknown.
 */
export function findOrphanedDependents(
  parent: ContainerFacts,
  all: readonly ContainerFacts[],
  formerName: (id: string) => string | undefined,
): ContainerFacts[] {
  return all
    .filter((c) => {
      const owner = namespaceOwner(c);
      if (owner === undefined || c.ref.id === parent.ref.id || c.ref.host !== parent.ref.host) return false;
      if (refersTo(owner, parent) || all.some((o) => refersTo(owner, o))) return false;
      return formerName(owner) === parent.ref.name;
    })
    .sort((a, b) => byText(a.ref.name, b.ref.name));
}

/**
 * The exact command that recreates a dependent so it joins the new namespace: Compose's when
 * Compose made it (run where the compose file is; the label says where that was), otherwise the
 * docker run equivalent.
 */
export function recreateCommand(dependent: ContainerFacts, parent: ContainerRef): string {
  const compose = composeServiceOf(dependent);
  if (compose) {
    const dir = dependent.labels[COMPOSE_WORKING_DIR];
    const up = `docker compose -p ${shellWord(compose.project)} up -d --force-recreate --no-deps ${shellWord(compose.service)}`;
    return dir ? `cd ${shellWord(dir)} && ${up}` : up;
  }
  return `docker rm -f ${shellWord(dependent.ref.name)} && docker run -d --name ${shellWord(dependent.ref.name)} --network container:${shellWord(parent.name)} <its other options> ${shellWord(dependent.ref.image)}`;
}

function shellWord(word: string): string {
  return /^[\w./:@%+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
