/**
 * Approvals: a restart a person is asked for (AUTO_FIX=ask), or offered on an escalation a
 * restart could resolve (a "Restart now" button), and what must still hold when they answer.
 *
 * A person's approval lifts the guardrails that exist to protect people (they were asked) but
 * never the facts: a container that is gone, running again, being recreated, or whose incident was
 * superseded or expired is not restarted, and the answer says why (issue 10).
 */
import type { AuditRecord, ContainerFacts, Guardrail, Person, Trigger } from './types.js';

/** A proposal waiting for a person, as persisted in STATE_DIR. */
export interface Proposal {
  readonly incidentId: string;
  readonly occurrence: number;
  readonly host: string;
  readonly containerId: string;
  readonly containerName: string;
  /** What woke the doctor: judged again with it on approval. */
  readonly trigger: Trigger;
  /** The run the proposal is about: a different StartedAt or FinishedAt means something happened since. */
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly running: boolean;
  /** ms since the epoch. */
  readonly proposedAt: number;
  readonly expiresAt: number;
  /** AUTO_FIX=ask: the restart the rules would have made; nobody answering is escalated as "not approved in time". */
  readonly ask: boolean;
  /** The decision's reason and guardrail when proposed. */
  readonly reason: string;
  readonly guardrail: Guardrail | null;
  readonly status: 'pending' | 'approved' | 'refused' | 'expired' | 'superseded';
  /** Set once answered: who, when (ISO), and what came of it. */
  readonly answer?: { readonly by?: Person; readonly at: string; readonly detail: string };
  /** The record it was made for, so an expiry can escalate with the same evidence. */
  readonly record: AuditRecord;
}

/** Guardrails that protect people from an unwanted restart, not the container from a useless one. */
const PROTECT_PEOPLE: readonly Guardrail[] = [
  'observe-only',
  'crash-loop',
  'restart-throttle',
  'label-never',
  'stateful-image',
  'not-safe',
  'oom-recurring',
  'restart-did-not-help',
  'unknown-stop',
  'stop-ignored',
];

/**
 * Escalations a restart could resolve: the doctor held back for a person's sake, not because
 * a restart cannot help. These carry a "Restart now" button and can be approved.
 */
const RESTART_COULD_HELP: ReadonlySet<Guardrail> = new Set<Guardrail>([...PROTECT_PEOPLE, 'awaiting-approval', 'not-approved', 'override-never']);

/** Guardrails an approval lifts: they protect people, and a person decided. */
export const LIFTED_BY_APPROVAL: ReadonlySet<Guardrail> = new Set<Guardrail>([...PROTECT_PEOPLE, 'restart-policy-pending']);

/** Whether a restart could resolve what this record escalated (so it may be approved). */
export function isApprovable(record: Pick<AuditRecord, 'decision'>): boolean {
  const { decision } = record;
  return decision.action === 'escalate' && decision.guardrail !== null && RESTART_COULD_HELP.has(decision.guardrail);
}

/** Why an approval cannot be carried out, from the proposal alone and the clock. */
export function refuseFromRecord(proposal: Proposal | undefined, now: number): string | undefined {
  if (!proposal) return 'no such incident waits for approval (it may be older than the doctor remembers)';
  switch (proposal.status) {
    case 'approved':
      return `already approved${proposal.answer?.by ? ` by ${personName(proposal.answer.by)}` : ''} at ${proposal.answer?.at ?? 'an earlier time'}: ${proposal.answer?.detail ?? ''}`.trimEnd();
    case 'refused':
      return `already answered: ${proposal.answer?.detail ?? 'refused'}`;
    case 'expired':
      return `expired at ${new Date(proposal.expiresAt).toISOString()} (APPROVAL_TIMEOUT): not approved in time; a newer incident will ask again`;
    case 'superseded':
      return `superseded: ${proposal.answer?.detail ?? 'a newer incident of this container replaced it'}`;
    case 'pending':
      break;
  }
  if (now > proposal.expiresAt) return `expired at ${new Date(proposal.expiresAt).toISOString()} (APPROVAL_TIMEOUT): not approved in time`;
  return undefined;
}

/**
 * The facts an approval never overrides, read off the container as it is now. `facts` is
 * undefined when the container is gone; `byName` is what now carries its name, when that differs.
 */
export function refuseFromFacts(proposal: Proposal, facts: ContainerFacts | undefined, byName?: ContainerFacts): string | undefined {
  if (!facts) {
    return byName
      ? `${proposal.containerName} was recreated (a new container ${byName.ref.id.slice(0, 12)} has its name); the incident was about the old one, not restarting the new`
      : `${proposal.containerName} is gone (removed since the incident); nothing to restart`;
  }
  if (facts.status === 'removing' || facts.status === 'dead') return `${proposal.containerName} is being removed (status ${facts.status}); nothing to restart`;
  if (facts.ref.name !== proposal.containerName) {
    return `${proposal.containerName} is being recreated (renamed to ${facts.ref.name}, as docker compose does before replacing a container); not restarting it`;
  }
  const newRun = facts.startedAt !== proposal.startedAt;
  if (facts.running || facts.status === 'restarting') {
    const wasDown = !proposal.running;
    if (wasDown || newRun) return `${proposal.containerName} is running again since ${facts.startedAt ?? 'unknown'} (status ${facts.status}); no restart needed`;
    if (proposal.trigger.kind === 'unhealthy' && facts.health.status !== 'unhealthy') {
      return `${proposal.containerName} is ${facts.health.status === 'healthy' ? 'healthy' : `health ${facts.health.status}`} again; no restart needed`;
    }
    return undefined;
  }
  if (newRun || facts.finishedAt !== proposal.finishedAt) {
    return `superseded: ${proposal.containerName} ran and exited again since (finished ${facts.finishedAt ?? 'unknown'}); that exit is its own incident`;
  }
  return undefined;
}

export function personName(p: Person): string {
  return p.name && p.name !== p.id ? `${p.name} (${p.id})` : p.id;
}
