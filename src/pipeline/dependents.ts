/**
 * Dependents (issue 12): after a watched container starts a new run (the doctor restarted it,
 * Docker's policy did, or a person), the running containers that depend on it (its network
 * namespace, compose depends_on with restart: true) are restarted in dependency order, each
 * through the handler's written-ahead restart and the same guardrails. The group is one incident:
 * a member record per container (recorded, not announced) and one summary record people are told.
 */
import type { Config } from '../config/load-config.js';
import { drainBoundMs, resolvePolicy } from '../core/container-policy.js';
import { decideDependent, decideOrphan, dependentDiagnosis } from '../core/dependent-decision.js';
import { ContainerNotFoundError, describeError } from '../core/errors.js';
import { buildEvidence } from '../core/evidence.js';
import { historyKey, parseTime } from '../core/history.js';
import { COMPOSE_DEPENDS_ON, findDependents, findOrphanedDependents, type DependentLink } from '../core/neighbours.js';
import { readRun } from '../core/story.js';
import type { AuditRecord, ContainerFacts, Decision, Diagnosis, GroupMember, Outcome } from '../core/types.js';
import type { FeedListener } from './feed.js';
import { newIncidentId, type HistoryStore, type IncidentHandler } from './incident-handler.js';
import type { Clock, DockerEngine, StoryLedger } from './ports.js';
import { runLimited } from './run-limited.js';
import { selectTargets } from './target-filter.js';
import { restartResult } from '../core/outcome.js';

export interface DependentsDeps {
  readonly config: Config;
  readonly handler: IncidentHandler;
  readonly store: HistoryStore;
  readonly stories: StoryLedger;
  readonly clock: Clock;
  readonly feed: FeedListener;
  readonly selfId?: string;
  /** Runs `fn` after `ms` unless the doctor is stopping. */
  readonly later: (ms: number, fn: () => void) => void;
  /** Registers work the doctor waits for at shutdown. */
  readonly track: (work: Promise<void>) => void;
}

/** Starts within this long of each other are one restart (a policy restart loop, compose up). */
const SETTLE_MS = 1_000;
/** A start the dependents pass caused itself is not a new parent restart for this long after the pass. */
const OWN_START_GRACE_MS = 10_000;
const MAX_INSPECTS_AT_ONCE = 8;

export class DependentRestarts {
  /** Per host|id: a pass is scheduled or running for it. */
  private readonly scheduled = new Set<string>();
  /** Per host|id: the StartedAt whose dependents were handled, so each run is handled once. */
  private readonly handled = new Map<string, string>();
  /** Per host|id: until when its starts are the pass's own restarts. */
  private readonly own = new Map<string, number>();

  constructor(private readonly deps: DependentsDeps) {}

  /** A watched container's `start` event (live). */
  started(engine: DockerEngine, id: string): void {
    const key = `${engine.host}|${id}`;
    const ownUntil = this.own.get(key);
    if (ownUntil !== undefined && this.deps.clock.now() <= ownUntil) return;
    if (this.scheduled.has(key)) return;
    this.scheduled.add(key);
    this.deps.later(SETTLE_MS, () => {
      const work = this.pass(engine, id)
        .catch((error: unknown) => this.deps.feed({ type: 'warning', message: `${engine.host || 'local'}: dependents of ${id.slice(0, 12)}: ${describeError(error)}` }))
        .finally(() => this.scheduled.delete(key));
      this.deps.track(work);
    });
  }

  private async pass(engine: DockerEngine, parentId: string): Promise<void> {
    const { deps } = this;
    let parent: ContainerFacts;
    try {
      parent = await engine.inspect(parentId);
    } catch (error) {
      if (error instanceof ContainerNotFoundError) return;
      throw error;
    }
    const parentStartedAt = parseTime(parent.startedAt);
    const key = `${engine.host}|${parent.ref.id}`;
    if (!parent.running || parentStartedAt === null || this.handled.get(key) === parent.startedAt) return;
    this.handled.set(key, parent.startedAt!);

    // Only containers that can depend on another are inspected: a shared namespace or a depends_on label.
    const listed = selectTargets(await engine.listContainers(), deps.config.targets, deps.selfId, deps.config.targetLabel)
      .filter((c) => c.id !== parent.ref.id && ((c.networkMode ?? '').startsWith('container:') || COMPOSE_DEPENDS_ON in c.labels));
    if (listed.length === 0) return;
    const candidates: ContainerFacts[] = [];
    await runLimited(listed, MAX_INSPECTS_AT_ONCE, async (c) => {
      try {
        candidates.push(await engine.inspect(c.id));
      } catch (error) {
        if (!(error instanceof ContainerNotFoundError)) throw error;
      }
    });
    const links = findDependents(parent, candidates);
    const orphans = findOrphanedDependents(parent, candidates, (id) => deps.stories.story(engine.host, id)?.name);
    if (links.length === 0 && orphans.length === 0) return;

    const now = deps.clock.now();
    const plans: Plan[] = [];
    for (const link of links) {
      const verdict = this.decide(engine, link, parentStartedAt, now);
      if ('skip' in verdict) continue;
      plans.push({ facts: link.dependent, via: link.via, decision: verdict.decision, diagnosis: dependentDiagnosis(link), link });
    }
    for (const dep of orphans) {
      plans.push({ facts: dep, via: `network mode ${dep.networkMode.slice(0, 22)}… (a former ${parent.ref.name})`, decision: decideOrphan(dep, parent), diagnosis: dependentDiagnosis({ dependent: dep, orphanOf: parent }) });
    }
    // Containers left alone for their own reasons (stopped, paused) make no incident by themselves.
    if (!plans.some((p) => p.decision.action !== 'none')) return;

    const incidentId = newIncidentId(now);
    const trigger = { kind: 'neighbour' as const, at: parent.startedAt! };
    const members: GroupMember[] = [];
    let occurrence = 1;
    for (const planned of plans) {
      // The restarts before it took seconds (each waits for its settle check): a person may have
      // stopped, paused or restarted this one meanwhile, so it is decided again on how it is now.
      const plan = planned.decision.action === 'restart' && planned.link ? await this.again(engine, planned, planned.link, parentStartedAt) : planned;
      const { facts } = plan;
      const signature = `neighbour:${plan.diagnosis.rule}:${parent.ref.name}`;
      const base: AuditRecord = {
        v: 1, incidentId, occurrence, time: iso(now), container: facts.ref, trigger,
        evidence: buildEvidence({ facts, logs: [], findings: [], stoppedByUser: plan.decision.guardrail === 'manual-stop' }),
        signature, diagnosis: plan.diagnosis, decision: plan.decision,
        outcome: { status: 'not-acted', detail: plan.decision.action === 'escalate' ? 'escalated to a person' : 'no action taken', at: iso(now) },
        group: { kind: 'dependents', role: 'member', parent: parent.ref },
      };
      let decision = plan.decision;
      let outcome: Outcome = base.outcome;
      if (plan.decision.action === 'restart') {
        const ownKey = `${engine.host}|${facts.ref.id}`;
        this.own.set(ownKey, Number.POSITIVE_INFINITY);
        const key = historyKey(engine.host, facts.ref.name);
        try {
          const acted = await deps.handler.restartWrittenAhead(
            { facts, key, now, signature, exitTrigger: false, rules: { rule: plan.diagnosis.rule ?? 'neighbour-restarted' } },
            { engine }, deps.store.history(key), { ...base, outcome: { status: 'pending', detail: 'restart about to be issued', at: iso(now) } }, incidentId, occurrence,
          );
          decision = acted.record?.decision ?? acted.decision;
          outcome = acted.record?.outcome ?? { status: 'not-acted', detail: acted.decision.reason, at: iso(deps.clock.now()) };
        } finally {
          this.own.set(ownKey, deps.clock.now() + OWN_START_GRACE_MS);
        }
        // A failed restart is followed by its escalation at the next occurrence.
        occurrence += 2;
      } else {
        await deps.handler.bus.publish({ type: 'recorded', record: base, aheadWritten: false }).catch((error: unknown) => deps.feed({ type: 'warning', message: `could not record a dependent: ${describeError(error)}` }));
        occurrence += 1;
      }
      members.push({ container: facts.ref, via: plan.via, action: decision.action, guardrail: decision.guardrail, outcome: outcome.status, detail: decision.action === 'restart' ? outcome.detail : decision.reason });
    }
    await deps.handler.bus.publish({ type: 'recorded', record: summaryRecord(parent, incidentId, occurrence, trigger, members, plans.map((p) => p.diagnosis), deps.clock.now()), aheadWritten: false });
  }

  /** The guardrails for one dependent, from its facts, story and history. */
  private decide(engine: DockerEngine, link: DependentLink, parentStartedAt: number, now: number): ReturnType<typeof decideDependent> {
    const { deps } = this;
    const dep = link.dependent;
    const policy = resolvePolicy(dep, { autoFix: deps.config.autoFix, maxRestartsPerHour: deps.config.maxRestartsPerHour, minDeadTimeMs: deps.config.minDeadTimeMs }, { selfId: deps.selfId });
    const run = readRun(deps.stories.story(engine.host, dep.ref.id), { stopSignal: dep.stopSignal, drainBoundMs: drainBoundMs(dep), startedAt: parseTime(dep.startedAt), now });
    return decideDependent({ link, parentStartedAt, policy, history: deps.store.history(historyKey(engine.host, dep.ref.name)), run, now });
  }

  /** A planned restart decided again on the dependent as it is now. */
  private async again(engine: DockerEngine, plan: Plan, link: DependentLink, parentStartedAt: number): Promise<Plan> {
    let facts: ContainerFacts;
    try {
      facts = await engine.inspect(plan.facts.ref.id);
    } catch (error) {
      if (!(error instanceof ContainerNotFoundError)) throw error;
      return { ...plan, decision: { ...plan.decision, action: 'none', guardrail: null, reason: 'removed before its turn came; nothing to restart' } };
    }
    const verdict = this.decide(engine, { ...link, dependent: facts }, parentStartedAt, this.deps.clock.now());
    const decision = 'skip' in verdict ? { ...plan.decision, action: 'none' as const, guardrail: null, reason: `${verdict.skip} (before its turn came); left as it is` } : verdict.decision;
    return { ...plan, facts, decision };
  }
}

interface Plan {
  readonly facts: ContainerFacts;
  readonly via: string;
  readonly decision: Decision;
  readonly diagnosis: Diagnosis;
  /** Absent for an orphan (its namespace is gone: it is recreated, not restarted). */
  readonly link?: DependentLink;
}

/** The one record people are told about: the parent's restart and what became of each dependent. */
function summaryRecord(parent: ContainerFacts, incidentId: string, occurrence: number, trigger: AuditRecord['trigger'], members: GroupMember[], diagnoses: Diagnosis[], now: number): AuditRecord {
  const failed = members.filter((m) => m.action === 'escalate' || (m.action === 'restart' && m.outcome !== undefined && restartResult(m.outcome) === 'failed'));
  const restarted = members.filter((m) => m.action === 'restart' && m.outcome === 'restarted');
  const orphaned = members.find((m) => m.guardrail === 'namespace-gone');
  const list = members.map((m) => `${m.container.name}: ${m.action === 'restart' ? m.outcome : m.action === 'escalate' ? 'needs a person' : 'left alone'}`).join('; ');
  const fixes = [...new Set(diagnoses.filter((d) => !d.auto_restart_safe).map((d) => d.suggested_fix))];
  return {
    v: 1, incidentId, occurrence, time: iso(now), container: parent.ref, trigger,
    evidence: buildEvidence({ facts: parent, logs: [], findings: [], stoppedByUser: false }),
    signature: `neighbour:group:${parent.ref.name}`,
    diagnosis: {
      root_cause: `${parent.ref.name} started again at ${parent.startedAt}; ${members.length} container${members.length === 1 ? '' : 's'} depend${members.length === 1 ? 's' : ''} on it (${list}).`,
      severity: failed.length > 0 ? 'high' : 'medium',
      suggested_fix: fixes.length > 0 ? fixes.join(' ') : 'Nothing to do: its dependents were restarted after it.',
      auto_restart_safe: true, config_suggestions: [], likely_recurring: false,
      estimated_impact: `${restarted.length} of ${members.length} dependents restarted.`,
      source: 'rules', rule: 'neighbour-restarted', failureClass: 'dependency', recognised: true,
    },
    decision: {
      action: failed.length > 0 ? 'escalate' : 'none',
      guardrail: orphaned ? 'namespace-gone' : (failed[0]?.guardrail ?? null),
      reason: `${parent.ref.name} restarted; its dependents in order: ${list}`,
      executed: false,
      decidedBy: 'rules',
    },
    outcome: { status: 'not-acted', detail: `${restarted.length} of ${members.length} dependents restarted`, at: iso(now) },
    group: { kind: 'dependents', role: 'summary', parent: parent.ref, members },
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
