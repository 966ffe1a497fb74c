import { LABEL_ENABLE, isWatchable } from '../core/container-policy.js';

/** Label that takes a container out of the doctor's sight. */
export const ENABLE_LABEL = LABEL_ENABLE;

export interface ListedContainer {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Which containers the doctor watches: the named targets (by name or id prefix) or, with none
 * named, every container; with TARGET_LABEL only those carrying it; never one labelled
 * `doctor.enable=false`, never the doctor itself.
 */
export function selectTargets<T extends ListedContainer>(
  containers: readonly T[],
  targets: readonly string[],
  selfId?: string,
  label?: { readonly name: string; readonly value?: string },
): T[] {
  const named = targets.length === 0 ? undefined : matcherOf(targets);
  return containers.filter((c) => {
    if (selfId && (c.id === selfId || c.id.startsWith(selfId) || selfId.startsWith(c.id))) return false;
    // Read as the policy reads it: `false`, `0`, `no`, `off` all opt out.
    if (!isWatchable(c.labels)) return false;
    // TARGET_LABEL: the opt-in scope (autoheal's AUTOHEAL_CONTAINER_LABEL): nothing else is touched.
    if (label && !(label.name in c.labels && (label.value === undefined || c.labels[label.name] === label.value))) return false;
    return named === undefined || named(c);
  });
}

/** A target names a container by its name, or by an id prefix of at least 6 characters. */
const MIN_ID_PREFIX = 6;
const matchers = new WeakMap<readonly string[], (c: ListedContainer) => boolean>();

/**
 * The named targets as one lookup: every container of every list is matched against them, so
 * with a thousand named (a long TARGET_CONTAINERS) comparing each container with each name took a
 * fifth of the doctor's busy time in the 1,000-container bench.
 */
function matcherOf(targets: readonly string[]): (c: ListedContainer) => boolean {
  let match = matchers.get(targets);
  if (match) return match;
  const names = new Set(targets);
  const prefixLengths = [...new Set(targets.filter((t) => t.length >= MIN_ID_PREFIX).map((t) => t.length))];
  match = (c) => names.has(c.name) || prefixLengths.some((n) => n <= c.id.length && names.has(c.id.slice(0, n)));
  matchers.set(targets, match);
  return match;
}
