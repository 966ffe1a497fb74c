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
  return containers.filter((c) => {
    if (selfId && (c.id === selfId || c.id.startsWith(selfId) || selfId.startsWith(c.id))) return false;
    // Read as the policy reads it: `false`, `0`, `no`, `off` all opt out.
    if (!isWatchable(c.labels)) return false;
    // TARGET_LABEL: the opt-in scope (autoheal's AUTOHEAL_CONTAINER_LABEL): nothing else is touched.
    if (label && !(label.name in c.labels && (label.value === undefined || c.labels[label.name] === label.value))) return false;
    if (targets.length === 0) return true;
    return targets.some((t) => t === c.name || (t.length >= 6 && c.id.startsWith(t)));
  });
}
