/**
 * Root cause across containers (issue 12): a dependency error names an address (`db:5432`, `db`,
 * `172.18.0.3:5432`); when that address is another watched container and it is down, restarting,
 * paused or unhealthy, the failure is that container's, and restarting the one that reports it
 * only adds load while the root is down. Docker's embedded DNS answers container names, network
 * aliases and (Compose) service names on user-defined networks only
 * (https://docs.docker.com/engine/network/#dns-services), so names match through a shared network.
 */
import { composeServiceOf, namespaceOwner, refersTo } from './neighbours.js';
import { evidenceLines, extractEndpoint, extractUnresolvedHost, extractUrlHost, findLastLine } from './evidence-text.js';
import { DEPENDENCY_ERROR } from './rules/dependencies.js';
import type { ContainerFacts, Evidence, RootCause, RulesVerdict } from './types.js';

/** The address the newest dependency error names, when the rules found a dependency failure. */
export function dependencyAddress(rules: Pick<RulesVerdict, 'failureClass'>, evidence: Evidence): string | undefined {
  if (rules.failureClass !== 'dependency') return undefined;
  const hit = findLastLine(evidenceLines(evidence), DEPENDENCY_ERROR);
  if (!hit) return undefined;
  return extractUnresolvedHost(hit.line) ?? extractEndpoint(hit.line) ?? extractUrlHost(hit.line);
}

/** The host part of `host:port`, `[v6]:port` or `host`, lower case. */
export function hostOf(address: string): string {
  const v6 = address.match(/^\[([^\]]+)\]/);
  if (v6?.[1]) return v6[1].toLowerCase();
  const parts = address.split(':');
  return (parts.length === 2 ? parts[0]! : address).toLowerCase();
}

/** What is wrong with a container, for a root cause; undefined when it is up and well. */
export function rootState(facts: ContainerFacts): RootCause['state'] | undefined {
  if (facts.status === 'paused') return 'paused';
  if (facts.status === 'restarting') return 'restarting';
  if (!facts.running) return 'down';
  return facts.health.status === 'unhealthy' ? 'unhealthy' : undefined;
}

/**
 * The watched container `address` names, from the failing container's point of view, with how it
 * resolves (or undefined when it names none of them). `others` are the other watched containers.
 */
export function resolveAddress(failing: ContainerFacts, address: string, others: readonly ContainerFacts[]): Omit<RootCause, 'state'> | undefined {
  const host = hostOf(address);
  if (host === '' || host === 'localhost' || host === '127.0.0.1' || host === '::1') return undefined;
  // In another's namespace, it sees that one's networks.
  const owner = namespaceOwner(failing);
  const ownerFacts = owner === undefined ? undefined : others.find((o) => refersTo(owner, o));
  const myNetworks = new Set((ownerFacts ?? failing).networks?.map((n) => n.name) ?? []);
  const shared = (o: ContainerFacts) => (o.networks ?? []).find((n) => myNetworks.has(n.name));
  const myCompose = composeServiceOf(failing);
  for (const o of others) {
    if (o.ref.id === failing.ref.id || o.ref.host !== failing.ref.host) continue;
    const net = shared(o);
    const viaIp = (o.networks ?? []).find((n) => n.ip !== '' && n.ip === host && myNetworks.has(n.name));
    if (viaIp) return { root: o.ref, address, via: 'IP address', network: viaIp.name };
    const theirCompose = composeServiceOf(o);
    if (myCompose && theirCompose && myCompose.project === theirCompose.project && theirCompose.service.toLowerCase() === host) {
      return { root: o.ref, address, via: 'compose service', ...(net ? { network: net.name } : {}) };
    }
    const alias = (o.networks ?? []).find((n) => myNetworks.has(n.name) && n.aliases.some((a) => a.toLowerCase() === host));
    // DNSNames lists the container's own name too (Engine 25+).
    if (alias) return { root: o.ref, address, via: host === o.ref.name.toLowerCase() ? 'container name' : 'network alias', network: alias.name };
    // A stopped container keeps its network attachments (without an IP); its name resolves there once it runs.
    if (o.ref.name.toLowerCase() === host && (net !== undefined || myNetworks.size === 0)) {
      return { root: o.ref, address, via: 'container name', ...(net ? { network: net.name } : {}) };
    }
  }
  return undefined;
}

/** The root cause of a dependency failure: the watched container it names, when that one is not well. */
export function findRootCause(failing: ContainerFacts, address: string | undefined, others: readonly ContainerFacts[]): RootCause | undefined {
  if (address === undefined) return undefined;
  const resolved = resolveAddress(failing, address, others);
  if (!resolved) return undefined;
  const root = others.find((o) => o.ref.id === resolved.root.id)!;
  const state = rootState(root);
  return state ? { ...resolved, state } : undefined;
}

/** "api is failing because db is down (db:5432 is db's compose service name)". */
export function describeRootCause(name: string, cause: RootCause): string {
  return `${name} is failing because ${cause.root.name} is ${cause.state} (${cause.address} is ${cause.root.name} by its ${cause.via}${cause.network ? ` on network ${cause.network}` : ''})`;
}
