/**
 * The approval desk: people in the loop. It keeps the proposals the people gate made (AUTO_FIX=ask
 * restarts, and escalations a restart could resolve), escalates an ask-first proposal nobody
 * answered within APPROVAL_TIMEOUT as "not approved in time", and carries out answers from Slack
 * buttons, the control endpoint and the terminal: approve (judged again on fresh facts, then the
 * handler's own write-ahead restart), snooze, never auto-restart, and lifting either.
 *
 * Every answer goes to the audit log (who, when, what came of it) and the container's story.
 */
import { personName, refuseFromFacts, refuseFromRecord, type Proposal } from '../core/approval.js';
import { ContainerNotFoundError, describeError } from '../core/errors.js';
import { historyKey, recordIncident } from '../core/history.js';
import type { ContainerHolds, PeopleInput } from '../core/people-gate.js';
import type { AuditRecord, Person, PersonActionEvent } from '../core/types.js';
import type { FeedListener } from './feed.js';
import type { IncidentHandler, HistoryStore } from './incident-handler.js';
import type { IncidentSubscriber } from './incident-bus.js';
import type { AuditSink, Clock, DockerEngine, StoryLedger } from './ports.js';
import { restartResult } from '../core/outcome.js';

/** Where proposals and holds are kept (the people store adapter). */
export interface PeopleLedger {
  proposal(incidentId: string): Proposal | undefined;
  pending(): Proposal[];
  putProposal(p: Proposal): void;
  holdsOf(key: string): ContainerHolds;
  allHolds(): Readonly<Record<string, ContainerHolds>>;
  setHolds(key: string, next: ContainerHolds): void;
  save(): Promise<void>;
}

/** Told when a proposal is answered or expires (the Slack app updates its message). */
export interface ApprovalListener {
  answered(proposal: Proposal): void;
}

/** The answer to a person, as the endpoint, the CLI and Slack show it. */
export interface ApprovalAnswer {
  /** `restarted`: done and verified; `failed`: approved and tried, but it did not hold; `refused`: not carried out. */
  readonly status: 'restarted' | 'failed' | 'refused';
  readonly detail: string;
  readonly incidentId: string;
  readonly container?: string;
}

export interface ApprovalDeskDeps {
  readonly ledger: PeopleLedger;
  readonly audit: AuditSink;
  readonly stories: StoryLedger;
  readonly history: HistoryStore;
  readonly clock: Clock;
  readonly feed: FeedListener;
  /** Gate settings besides the holds: AUTO_FIX=ask, APPROVAL_TIMEOUT, windows, quiet hours, TZ. */
  readonly settings: Omit<PeopleInput, 'holds'>;
  /** The watcher's handler, engines and per-container queue (set once the watcher exists). */
  readonly pipeline: () => {
    readonly handler: IncidentHandler;
    engineFor(host: string): DockerEngine | undefined;
    exclusive<T>(host: string, id: string, fn: () => Promise<T>): Promise<T>;
    readonly hosts: readonly string[];
  };
  readonly listeners?: ApprovalListener[];
}

/** Node's timers hold at most 2^31-1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class ApprovalDesk {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  readonly listeners: ApprovalListener[];

  constructor(private readonly deps: ApprovalDeskDeps) {
    this.listeners = deps.listeners ?? [];
  }

  now(): number {
    return this.deps.clock.now();
  }

  /** The gate's input for one container: the settings and its holds. */
  peopleInput(host: string, name: string): PeopleInput {
    return { ...this.deps.settings, holds: this.deps.ledger.holdsOf(historyKey(host, name)) };
  }

  /** Proposals waiting for an answer, oldest first. */
  pending(): Proposal[] {
    return this.deps.ledger.pending().sort((a, b) => a.proposedAt - b.proposedAt);
  }

  proposal(incidentId: string): Proposal | undefined {
    return this.deps.ledger.proposal(incidentId);
  }

  /** Snoozes and overrides in force, by container (host|name). */
  holds(): Readonly<Record<string, ContainerHolds>> {
    const now = this.deps.clock.now();
    return Object.fromEntries(
      Object.entries(this.deps.ledger.allHolds())
        .map(([key, h]) => [key, h.snooze && h.snooze.until <= now ? { ...(h.never ? { never: h.never } : {}) } : h] as const)
        .filter(([, h]) => h.snooze !== undefined || h.never !== undefined),
    );
  }

  /** Expiry timers for proposals a previous doctor left pending; ones that expired meanwhile expire now. */
  start(): void {
    for (const p of this.deps.ledger.pending()) this.schedule(p);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Takes in the gate's proposals from the incident stream, and supersedes older ones of the container. */
  subscriber(): IncidentSubscriber {
    return async (event) => {
      if (event.type !== 'recorded' || event.aheadWritten) return;
      const { record } = event;
      const changed = this.supersede(record);
      const made = event.gate?.proposal;
      if (made) {
        const p: Proposal = {
          incidentId: record.incidentId,
          occurrence: record.occurrence,
          host: record.container.host,
          containerId: record.container.id,
          containerName: record.container.name,
          trigger: record.trigger,
          startedAt: made.startedAt,
          finishedAt: record.evidence.finishedAt,
          running: record.evidence.status === 'running',
          proposedAt: this.deps.clock.now(),
          expiresAt: made.expiresAt,
          ask: made.ask,
          reason: record.decision.reason,
          guardrail: record.decision.guardrail,
          status: 'pending',
          record,
        };
        this.deps.ledger.putProposal(p);
        this.schedule(p);
      }
      if (made || changed) await this.deps.ledger.save();
    };
  }

  /**
   * A person approved the restart proposed for `incidentId`. Checked against the proposal (expired,
   * answered, superseded), then, in the container's own queue, against the container as it is now
   * and judged again with the approval; the restart is the handler's write-ahead one.
   */
  async approve(incidentId: string, by: Person): Promise<ApprovalAnswer> {
    const now = this.deps.clock.now();
    const proposal = this.deps.ledger.proposal(incidentId);
    const early = refuseFromRecord(proposal, now);
    if (early || !proposal) {
      if (proposal?.status === 'pending') await this.answer(proposal, 'expired', undefined, early ?? 'expired');
      if (proposal) await this.note(proposal, 'refused', by, early ?? 'refused');
      return { status: 'refused', detail: early ?? 'no such incident', incidentId, ...(proposal ? { container: proposal.containerName } : {}) };
    }
    const pipeline = this.deps.pipeline();
    const engine = pipeline.engineFor(proposal.host);
    if (!engine) return this.refuse(proposal, by, `the doctor no longer watches the engine ${proposal.host || 'local'}`);
    const mark = { by, at: new Date(now).toISOString() };
    return pipeline.exclusive(proposal.host, proposal.containerId, async () => {
      // Answered meanwhile (a second click while the first was queued)?
      const again = refuseFromRecord(this.deps.ledger.proposal(incidentId), this.deps.clock.now());
      if (again) return { status: 'refused' as const, detail: again, incidentId, container: proposal.containerName };
      this.step(proposal, 'person-approve', by, 'approved a restart');
      let result;
      try {
        result = await pipeline.handler.handle({ engine, id: proposal.containerId, trigger: proposal.trigger, act: true, record: true, askAi: false, approval: { mark, proposal } });
      } catch (error) {
        if (!(error instanceof ContainerNotFoundError)) return this.refuse(proposal, by, `could not look at the container: ${describeError(error)}`, false);
        let byName;
        try {
          byName = await engine.inspect(proposal.containerName);
        } catch {
          byName = undefined;
        }
        return this.refuse(proposal, by, refuseFromFacts(proposal, undefined, byName) ?? 'the container is gone');
      }
      if (!result) return this.refuse(proposal, by, 'nothing to judge any more');
      if (result.refused) return this.refuse(proposal, by, result.refused);
      const outcome = result.outcome;
      // The restart was made and held, or a person took over after it (the detail says which).
      const made = restartResult(outcome.status);
      const ok = made === 'held' || made === 'person';
      const detail = `approved by ${personName(by)}: ${outcome.detail}`;
      await this.answer(proposal, 'approved', by, detail);
      await this.note(proposal, 'approved', by, `restart ${ok ? 'done' : 'tried'}: ${outcome.status}: ${outcome.detail}`);
      return { status: ok ? ('restarted' as const) : ('failed' as const), detail, incidentId, container: proposal.containerName };
    });
  }

  /** No alerts and no action for this container until `until` (ms). */
  async snooze(host: string, name: string, until: number, by: Person): Promise<void> {
    const key = historyKey(host, name);
    const now = this.deps.clock.now();
    this.deps.ledger.setHolds(key, { ...this.deps.ledger.holdsOf(key), snooze: { until, by, at: now } });
    await this.deps.ledger.save();
    await this.hold({ host, name }, 'snooze', by, `snoozed until ${new Date(until).toISOString()}`, new Date(until).toISOString());
  }

  /** "Never auto-restart" for this container, until lifted. */
  async never(host: string, name: string, by: Person): Promise<void> {
    const key = historyKey(host, name);
    this.deps.ledger.setHolds(key, { ...this.deps.ledger.holdsOf(key), never: { by, at: this.deps.clock.now() } });
    await this.deps.ledger.save();
    await this.hold({ host, name }, 'never', by, 'never auto-restart (until lifted)');
  }

  /** Lifts a snooze, an override, or both; says what was lifted (empty: nothing was in force). */
  async lift(host: string, name: string, what: 'snooze' | 'override' | 'all', by: Person): Promise<string[]> {
    const key = historyKey(host, name);
    const h = this.deps.ledger.holdsOf(key);
    const now = this.deps.clock.now();
    const lifted: string[] = [];
    const next: { snooze?: ContainerHolds['snooze']; never?: ContainerHolds['never'] } = { ...h };
    if (what !== 'override' && h.snooze && h.snooze.until > now) lifted.push('snooze');
    if (what !== 'override') delete next.snooze;
    if (what !== 'snooze' && h.never) lifted.push('override');
    if (what !== 'snooze') delete next.never;
    this.deps.ledger.setHolds(key, next);
    await this.deps.ledger.save();
    for (const l of lifted) await this.hold({ host, name }, l === 'snooze' ? 'unsnooze' : 'allow', by, l === 'snooze' ? 'snooze lifted' : '"never auto-restart" lifted');
    return lifted;
  }

  private async refuse(proposal: Proposal, by: Person, detail: string, final = true): Promise<ApprovalAnswer> {
    if (final) await this.answer(proposal, 'refused', by, detail);
    await this.note(proposal, 'refused', by, detail);
    return { status: 'refused', detail, incidentId: proposal.incidentId, container: proposal.containerName };
  }

  private schedule(p: Proposal): void {
    const key = `${p.incidentId}#${p.occurrence}`;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    const wait = Math.max(0, p.expiresAt - this.deps.clock.now());
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (wait >= MAX_TIMER_MS) return this.schedule(p);
      void this.expire(p).catch((error: unknown) => this.deps.feed({ type: 'warning', message: `could not record an expired approval: ${describeError(error)}` }));
    }, Math.min(wait, MAX_TIMER_MS));
    timer.unref?.();
    this.timers.set(key, timer);
  }

  /** Nobody answered in time: an ask-first proposal is escalated as "not approved in time". */
  async expire(p: Proposal): Promise<void> {
    const current = this.deps.ledger.proposal(p.incidentId);
    if (!current || current.status !== 'pending' || current.occurrence !== p.occurrence) return;
    const now = this.deps.clock.now();
    const detail = `not approved in time (APPROVAL_TIMEOUT, proposed ${new Date(p.proposedAt).toISOString()})`;
    await this.answer(current, 'expired', undefined, detail);
    if (!p.ask) return;
    await this.note(current, 'expired', undefined, detail);
    const escalation: AuditRecord = {
      ...p.record,
      occurrence: p.record.occurrence + 1,
      time: new Date(now).toISOString(),
      decision: { ...p.record.decision, action: 'escalate', guardrail: 'not-approved', reason: `${detail}: ${p.reason.replace(/; AUTO_FIX=ask, so the restart waits.*$/, '')}; the restart was not made, a person must act`, executed: false },
      outcome: { status: 'not-acted', detail: 'escalated to a person: the restart was not approved in time', at: new Date(now).toISOString() },
    };
    const key = historyKey(p.host, p.containerName);
    const h = this.deps.history.history(key);
    this.deps.history.setHistory(key, recordIncident(h, { signature: p.record.signature, incidentId: p.incidentId, at: escalation.time, action: 'escalate', guardrail: 'not-approved' }, now));
    await this.deps.history.save().catch(() => undefined);
    // The escalation is one a restart could resolve, like any other: a person may still approve it
    // (its own message carries the buttons) until APPROVAL_TIMEOUT passes once more.
    const again: Proposal = { ...current, occurrence: escalation.occurrence, ask: false, proposedAt: now, expiresAt: now + this.deps.settings.approvalTimeoutMs, reason: escalation.decision.reason, guardrail: 'not-approved', status: 'pending', record: escalation };
    delete (again as { answer?: unknown }).answer;
    this.deps.ledger.putProposal(again);
    await this.deps.ledger.save();
    this.schedule(again);
    await this.deps.pipeline().handler.bus.publish({ type: 'recorded', record: escalation, aheadWritten: false });
  }

  /** A newer incident of the same container replaces its older pending proposals. */
  private supersede(record: AuditRecord): boolean {
    let changed = false;
    for (const p of this.deps.ledger.pending()) {
      if (p.host !== record.container.host || p.containerName !== record.container.name || p.incidentId === record.incidentId) continue;
      const detail = `a newer incident (${record.incidentId}) of ${p.containerName} replaced it`;
      const next: Proposal = { ...p, status: 'superseded', answer: { at: new Date(this.deps.clock.now()).toISOString(), detail } };
      this.deps.ledger.putProposal(next);
      this.timers.get(`${p.incidentId}#${p.occurrence}`)?.unref();
      for (const l of this.listeners) l.answered(next);
      changed = true;
    }
    return changed;
  }

  private async answer(p: Proposal, status: Proposal['status'], by: Person | undefined, detail: string): Promise<void> {
    const next: Proposal = { ...p, status, answer: { ...(by ? { by } : {}), at: new Date(this.deps.clock.now()).toISOString(), detail } };
    this.deps.ledger.putProposal(next);
    const key = `${p.incidentId}#${p.occurrence}`;
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
    await this.deps.ledger.save();
    for (const l of this.listeners) {
      try {
        l.answered(next);
      } catch (error) {
        this.deps.feed({ type: 'warning', message: `approval listener failed: ${describeError(error)}` });
      }
    }
  }

  private async note(p: Proposal, action: PersonActionEvent['action'], by: Person | undefined, detail: string): Promise<void> {
    await this.deps.audit.appendEvent({
      v: 1, kind: 'person', time: new Date(this.deps.clock.now()).toISOString(), action,
      container: { host: p.host, name: p.containerName, id: p.containerId }, incidentId: p.incidentId, ...(by ? { by } : {}), detail,
    });
  }

  private async hold(c: { host: string; name: string }, action: PersonActionEvent['action'], by: Person, detail: string, until?: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.audit.appendEvent({ v: 1, kind: 'person', time: new Date(now).toISOString(), action, container: c, by, detail, ...(until ? { until } : {}) });
    const story = this.deps.stories.storiesOf(c.host).find((s) => s.name === c.name);
    if (story) {
      this.deps.stories.append(c.host, story.id, story.name, { at: now, kind: action === 'snooze' || action === 'unsnooze' ? 'person-snooze' : 'person-override', by: 'person', who: by.id, detail }, now);
      await this.deps.stories.save().catch(() => undefined);
    }
  }

  private step(p: Proposal, kind: 'person-approve', by: Person, detail: string): void {
    const now = this.deps.clock.now();
    this.deps.stories.append(p.host, p.containerId, p.containerName, { at: now, kind, by: 'person', who: by.id, detail }, now);
  }
}
