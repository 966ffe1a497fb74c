import type { Config } from '../config/load-config.js';
import { drainBoundMs, resolvePolicy, stopTimeoutSeconds } from '../core/container-policy.js';
import type { Detector } from '../core/error-patterns.js';
import { ContainerNotFoundError, describeError } from '../core/errors.js';
import { buildEvidence, stateSignatureKey } from '../core/evidence.js';
import { findOpenIncident, hasTime, historyKey, historyOfThisContainer, parseTime, recordDeath, recordIncident, recordOom, recordRestart } from '../core/history.js';
import { refuseFromFacts, type Proposal } from '../core/approval.js';
import { judgeIncident, readStoryView, type Judgement } from '../core/judge.js';
import type { PeopleInput } from '../core/people-gate.js';
import { describeJobKind, jobKind } from '../core/job-containers.js';
import { createRedactor } from '../core/redact.js';
import { diagnoseByRules } from '../core/rules/index.js';
import { signatureOf } from '../core/signature.js';
import { personActedSince, personStopInOwnStop, readDeath, renamedSince, unfinishedRestart, type ContainerStory, type StoryStep } from '../core/story.js';
import type {
  ApprovalMark,
  AuditRecord,
  ContainerFacts,
  ContainerRef,
  ContainerHistory,
  Decision,
  Diagnosis,
  Evidence,
  Finding,
  LogLine,
  Outcome,
  RootCause,
  RulesVerdict,
  Trigger,
} from '../core/types.js';
import type { FeedListener } from './feed.js';
import { auditSubscriber, feedSubscriber, IncidentBus, notifierSubscriber, type IncidentSubscriber } from './incident-bus.js';
import type { AuditSink, Clock, Diagnoser, DockerEngine, Notifier, StoryLedger } from './ports.js';
import { SecondOpinions, type DiagnosisAllowance } from './second-opinion.js';
import { personRestartedOrStarted, verifyRestart } from './restart-verify.js';
import { lookUpRootCause } from './root-cause-lookup.js';

/** Where the doctor remembers each container. Implemented by the state file adapter. */
export interface HistoryStore {
  history(key: string): ContainerHistory;
  setHistory(key: string, history: ContainerHistory): void;
  renameHistory(fromKey: string, toKey: string): void;
  save(): Promise<void>;
}

export type { DiagnosisAllowance };
export { historyKey };

export interface HandlerDeps {
  readonly config: Config;
  readonly detector: Detector;
  readonly store: HistoryStore;
  readonly stories: StoryLedger;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly feed: FeedListener;
  /** Waits; may return early when the doctor is shutting down. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Aborts when the doctor is shutting down: in-flight AI calls give up (and so escalate). */
  readonly stopSignal?: AbortSignal;
  /** Diagnosis backends in order: the first usable answer counts. */
  readonly diagnosers?: readonly Diagnoser[];
  readonly allowance?: DiagnosisAllowance;
  readonly notifiers?: readonly Notifier[];
  /** The doctor's own container id, when it runs in one. */
  readonly selfId?: string;
  /** The doctor's own secrets (API key, webhook URL), kept out of every record. */
  readonly secrets?: readonly string[];
  /** Same container, same signature within this window = the same incident. */
  readonly dedupeWindowMs?: number;
  /** People's instructions for a container (snoozes, overrides, windows, AUTO_FIX=ask); absent = none. */
  readonly people?: (host: string, name: string) => PeopleInput;
  /** More listeners on the incident stream (the /ui live timeline, approvals, quiet hours), after the built-in ones. */
  readonly subscribers?: readonly IncidentSubscriber[];
}

export interface IncidentInput {
  readonly engine: DockerEngine;
  /** Container id or name. */
  readonly id: string;
  readonly trigger: Trigger;
  /** Error lines already found (reconcile reads new log lines and detects before calling). */
  readonly findings?: readonly Finding[];
  /** `doctor diagnose`: always produce a result, even for a healthy or already judged container. */
  readonly manual?: boolean;
  /** May restart (watch; `diagnose --fix`). */
  readonly act: boolean;
  /** Write the decision to state and the audit log, and notify. */
  readonly record: boolean;
  /** Ask the AI when it helps (false with --no-ai). */
  readonly askAi: boolean;
  /** This is the look-again after MIN_DEAD_TIME. */
  readonly recheck?: boolean;
  /** What the event said of the container (name, image, labels), for one removed before it is inspected. */
  readonly seen?: SeenContainer;
  /** A person approved the restart proposed for this incident: judged again with the approval (approvals.ts). */
  readonly approval?: { readonly mark: ApprovalMark; readonly proposal: Proposal };
  /**
   * A storm may be building (storm-watch.ts): the incident is recorded now, its alert waits until
   * `alertAfter` (epoch ms, the handler's clock), and a restart is not made: the result is skipped
   * as `storm-look`, and the caller holds the trigger.
   */
  readonly look?: { readonly alertAfter: number; readonly tookIntoStorm: () => boolean };
  /**
   * After a storm whose first restart did not hold (storm-watch.ts): a restart is not made but
   * escalated, for `reason`, and recorded as a member of the storm, whose one record alerts.
   */
  readonly withheld?: { readonly reason: string; readonly cause: string };
}

export interface IncidentResult {
  readonly facts: ContainerFacts;
  readonly logs: readonly LogLine[];
  readonly findings: readonly Finding[];
  readonly evidence: Evidence;
  readonly signature: string;
  readonly rules: RulesVerdict;
  /** The diagnosis shown and recorded: the AI's when it answered, else the rules'. */
  readonly diagnosis: Diagnosis;
  readonly ai?: Diagnosis;
  readonly aiNote?: string;
  readonly decision: Decision;
  readonly outcome: Outcome;
  readonly history: ContainerHistory;
  readonly story: ContainerStory | undefined;
  /** What was written to the audit log, if anything. */
  readonly record?: AuditRecord;
  /** Why nothing was judged (already judged, container gone, a repeat). */
  readonly skipped?: string;
  /** An approval that was not carried out, and why (the facts changed, or a restart cannot fix it). */
  readonly refused?: string;
  /** What people's instructions made of the decision (people-gate.ts). */
  readonly gate?: Judgement['gate'];
  /** The watched container the failure is attributed to (issue 12). */
  readonly rootCause?: RootCause;
}

/** The container as its event described it. */
export interface SeenContainer {
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Everything the judge reads, gathered with I/O. */
interface Gathered {
  readonly facts: ContainerFacts;
  readonly logs: readonly LogLine[];
  readonly findings: readonly Finding[];
  readonly evidence: Evidence;
  readonly signature: string;
  readonly rules: RulesVerdict;
  readonly key: string;
  readonly history: ContainerHistory;
  readonly story: ContainerStory | undefined;
  readonly view: ReturnType<typeof readStoryView>;
  readonly redact: (text: string) => string;
  readonly now: number;
  readonly exitTrigger: boolean;
  /** The watched container a dependency failure names, when it is down (issue 12). */
  readonly rootCause?: RootCause;
}

/** What a written-ahead restart needs of the gathered incident. */
export type RestartSubject = Pick<Gathered, 'facts' | 'key' | 'now' | 'signature' | 'exitTrigger'> & { readonly rules: Pick<RulesVerdict, 'rule'> };

const DEFAULT_DEDUPE_WINDOW_MS = 60 * 60 * 1000;
/** How far before its StartedAt a run's first log lines can be stamped. */
const RUN_START_SLACK_MS = 200;
/** The restart call is given the stop timeout plus this much for the kill and the start. */
const RESTART_CALL_SLACK_S = 30;
/** How long the doctor waits for its own stop's die event before it reads who else stopped it. */
const OWN_DIE_WAIT_MS = 2_000;

/**
 * `inc-20261203T174400Z-3fa9c1`: the second it opened, and six random hex digits that keep two
 * incidents of one second apart. An id names an incident and grants nothing (approving takes the
 * endpoint's token or a person in Slack), so Math.random serves, without loading node:crypto for
 * every incident (src/core/sha256.ts says what that costs).
 */
export function newIncidentId(nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `inc-${stamp}-${Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0')}`;
}

/**
 * One incident: gather (inspect, logs, story, history: all the I/O), judge (one pure function),
 * act (restart and verify, written ahead), publish (one stream the audit log, feed, notifiers and
 * follow-ups subscribe to). Callers serialise calls per container; different containers may run at once.
 */
export class IncidentHandler {
  /** The AI's answer (or failure) per container and failure, so one incident is asked about once. */
  private readonly opinions: SecondOpinions;
  readonly bus: IncidentBus;

  constructor(private readonly deps: HandlerDeps) {
    this.opinions = new SecondOpinions({ ...deps, dedupeWindowMs: deps.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS });
    this.bus = new IncidentBus([
      auditSubscriber(deps.audit),
      feedSubscriber(deps.feed),
      notifierSubscriber(deps.notifiers ?? [], (message) => deps.feed({ type: 'warning', message })),
      ...(deps.subscribers ?? []),
    ]);
  }

  async handle(input: IncidentInput): Promise<IncidentResult | undefined> {
    let g = await this.gather(input);
    if (!g) return undefined;
    const { deps } = this;
    if (input.approval) {
      // The facts an approval never overrides, before anything is judged or asked.
      const refused = refuseFromFacts(input.approval.proposal, g.facts);
      if (refused) return this.refusal(g, refused);
    }
    let judged = this.judge(g, input);
    let opinion: Awaited<ReturnType<SecondOpinions['ask']>> = {};
    // The AI is asked only where its caution can matter (the guardrail table), or when a person
    // asked for a diagnosis (`doctor diagnose`): it never changes what the story decided.
    const asksAi = !judged.skip && input.askAi && !input.approval && (input.manual || (judged.stage === 'table' && !g.rules.settled));
    // In the storm look only a restart waits (the AI may add caution, never a restart).
    if (input.look && !judged.skip && judged.decision.action === 'restart') return { ...this.unjudged(g, 'waits for the storm look'), skipped: 'storm-look' };
    if (asksAi) {
      const asked = g;
      const open = findOpenIncident(asked.history, asked.signature, asked.now, this.dedupeWindowMs);
      opinion = await this.opinions.ask({
        facts: asked.facts, evidence: asked.evidence, logTail: () => asked.logs.map((l) => asked.redact(l.text)), rules: asked.rules, history: asked.history,
        signature: asked.signature, key: asked.key, seenBefore: open !== undefined, manual: input.manual === true, now: asked.now,
      });
      // The answer can take seconds, in which a person may have started, stopped, paused, renamed
      // or removed the container: what is decided is decided on the container as it is now.
      g = await this.stillTheSame(g, input);
      if (!g) return undefined;
      judged = this.judge(g, input, opinion.ai);
    } else if (!judged.skip && judged.decision.action === 'restart' && input.act) {
      // One last look before acting: reading the logs and the neighbours took a moment in which
      // Docker's policy or a person may have started it again.
      const again = await this.stillTheSame(g, input);
      if (!again) return undefined;
      if (again !== g) judged = this.judge(again, input);
      g = again;
    }
    const { ai, aiNote, aiUsage } = opinion;
    const base = { facts: g.facts, logs: g.logs, findings: g.findings, evidence: g.evidence, signature: g.signature, rules: g.rules, diagnosis: ai ?? g.rules.diagnosis, ai, aiNote, story: g.story, rootCause: g.rootCause };
    let history = g.history;
    const { now } = g;

    if (judged.skip && !input.manual) return undefined;
    // Count crashes (never a person's stop or the doctor's own restart) towards the crash-loop and OOM limits.
    const death = g.view.death;
    const crashed = death !== undefined && (death.cause === 'crash' || death.cause === 'unknown');
    if (input.record && g.exitTrigger && crashed && g.facts.finishedAt !== null && !hasTime(history.deaths, g.facts.finishedAt)) {
      history = recordDeath(history, g.facts.finishedAt, now);
      if (g.facts.oomKilled) history = recordOom(history, g.facts.finishedAt, now);
    }
    if (input.record && input.trigger.kind === 'oom' && g.facts.running) history = recordOom(history, input.trigger.at, now);

    let decision = judged.decision;
    if (input.approval && decision.action !== 'restart') return this.refusal(g, decision.reason, decision);
    const withheld = input.withheld && decision.action === 'restart' ? input.withheld : undefined;
    if (withheld) decision = { ...decision, action: 'escalate', guardrail: 'storm', reason: `${withheld.reason} (it would have been restarted: ${decision.reason})` };
    if (decision.deferUntil && !input.manual) {
      if (input.record) {
        deps.store.setHistory(g.key, history);
        await deps.store.save();
        await this.publishQuietly({ type: 'deferred', container: g.facts.ref, until: decision.deferUntil, reason: decision.reason, at: now });
      }
      return { ...base, decision, outcome: notActed(now, 'deferred'), history };
    }
    if (judged.repeat) {
      history = this.remember(history, g, judged.repeat.incidentId, decision);
      if (input.record) {
        deps.store.setHistory(g.key, history);
        await deps.store.save();
        await this.publishQuietly({ type: 'repeat', container: g.facts.ref, incidentId: judged.repeat.incidentId, count: judged.repeat.count + 1, at: now });
      }
      return { ...base, decision, outcome: notActed(now, 'same incident as before; already recorded'), history, skipped: 'repeat' };
    }

    const open = findOpenIncident(g.history, g.signature, now, this.dedupeWindowMs);
    const incidentId = input.approval?.proposal.incidentId ?? open?.incidentId ?? newIncidentId(now);
    const occurrence = (open?.count ?? 0) + 1;
    const record = (d: Decision, outcome: Outcome, occ = occurrence): AuditRecord => ({
      v: 1, incidentId, occurrence: occ, time: iso(now), container: g.facts.ref, trigger: input.trigger, evidence: g.evidence, signature: g.signature,
      diagnosis: ai ?? g.rules.diagnosis, ...(ai ? { rulesDiagnosis: g.rules.diagnosis } : {}), ...(aiNote ? { aiNote } : {}), ...(aiUsage ? { aiUsage } : {}),
      decision: d, outcome, ...(g.rootCause ? { rootCause: g.rootCause } : {}),
      ...(withheld ? { group: { kind: 'storm', role: 'member', cause: withheld.cause } as const } : {}),
    });

    if (decision.action === 'restart' && input.act) {
      const acted = await this.restartWrittenAhead(g, input, history, record(decision, pending(now)), incidentId, occurrence);
      if (acted.record) return { ...base, decision: acted.record.decision, outcome: acted.record.outcome, history: acted.history, record: acted.record };
      decision = acted.decision;
      history = acted.history;
    }
    const outcome =
      decision.guardrail === 'restart-policy-pending' && g.facts.running
        ? runningAgain(g.facts, now)
        : notActed(now, decision.action === 'restart' ? 'restart not performed (diagnose without --fix)' : 'no action taken');
    const final = record(decision, outcome);
    // Held back for a maintenance window or a snooze: the exit is judged again when it ends, so it is not marked judged.
    const lookAgain = judged.gate?.lookAgainAt !== undefined;
    if (input.record) {
      history = this.remember(history, g, incidentId, decision, !lookAgain);
      deps.store.setHistory(g.key, history);
      // The record neither waits for the state file nor is lost with it (a full disk, say): both are written at once.
      const stormLook = input.look ? { waitMs: Math.max(0, input.look.alertAfter - deps.clock.now()), tookIntoStorm: input.look.tookIntoStorm } : undefined;
      await allWritten([deps.store.save(), this.bus.publish({ type: 'recorded', record: final, aheadWritten: false, ...(judged.gate ? { gate: judged.gate } : {}), ...(stormLook ? { stormLook } : {}) })]);
    }
    return { ...base, decision, outcome, history, record: input.record ? final : undefined, ...(judged.gate ? { gate: judged.gate } : {}) };
  }

  /**
   * Restarts a previous doctor wrote ahead but never finished (it was stopped or killed between
   * the decision and the outcome): their outcome is read off the container now and recorded, so
   * the audit log has every action the doctor took.
   */
  async resolveUnfinishedRestarts(engine: DockerEngine): Promise<void> {
    const { deps } = this;
    for (const story of deps.stories.storiesOf(engine.host)) {
      const step = unfinishedRestart(story);
      if (!step?.incidentId || step.occurrence === undefined) continue;
      const now = deps.clock.now();
      let outcome: Outcome;
      let issued = true;
      try {
        const facts = await engine.inspect(story.id);
        const started = parseTime(facts.startedAt);
        // Its own start shows the restart went out; without one, the doctor stopped before the call.
        issued = (started !== null && started >= step.at - 1_000) || story.steps.some((s) => s.kind === 'start' && s.at >= step.at - 1_000);
        const ownStopLanded = !facts.running && story.steps.some((s) => s.kind === 'die' && s.by === 'doctor' && s.at >= step.at - 1_000);
        if (facts.status === 'paused' && issued) {
          outcome = { status: 'paused-by-person', detail: `the doctor was stopped during its restart; found paused (docker pause) when it started again; it is left paused`, at: iso(now) };
        } else if (facts.running && issued && laterRun(story, step.at, started)) {
          // The run its restart started ended while no doctor watched, and another runs now.
          const ended = laterRun(story, step.at, started)!;
          const since = story.steps.filter((s) => s.at > step.at);
          outcome = personRestartedOrStarted(since, facts.restartPolicy.name)
            ? { status: 'restarted-by-person', detail: `the doctor was stopped during its restart; the restarted run ended (exit code ${ended.exitCode ?? 'unknown'} at ${iso(ended.at)}) and a person or tool started it again (running since ${facts.startedAt}); a person took over`, at: iso(now) }
            : { status: 'not-running-after-restart', detail: `the doctor was stopped during its restart; the restarted run ended (exit code ${ended.exitCode ?? 'unknown'} at ${iso(ended.at)}) and Docker's restart policy started it again`, at: iso(now) };
        } else if (facts.running && issued) {
          outcome = { status: 'restarted', detail: `restarted; verified when the doctor itself started again: running since ${facts.startedAt}`, at: iso(now) };
        } else if (!issued && ownStopLanded) {
          // Stopped between the stop and the start of its restart: the stop was the doctor's, so it
          // finishes the restart, unless a person stopped it too, or has acted since.
          const timeoutSeconds = Math.max(0, ((step.until ?? step.at) - step.at) / 1000 - RESTART_CALL_SLACK_S);
          const stop = personStopInOwnStop(story, step.at, { timeoutSeconds, stopSignal: facts.stopSignal });
          const renamed = renamedSince(story, step.at);
          if (renamed) {
            outcome = { status: 'stopped-by-person', detail: `the doctor was stopped during its restart, and a person or tool renamed it since (${renamed.oldName ?? '?'} -> ${renamed.name ?? '?'}, set aside); not started again`, at: iso(now) };
          } else if (stop || personActedSince(story, step.at)) {
            outcome = { status: 'stopped-by-person', detail: `the doctor was stopped during its restart, and a person or tool stopped it too${stop ? ` (${stop.signal ?? 'SIGKILL'} at ${iso(stop.at)})` : ''}; not started again, their stop stands`, at: iso(now) };
          } else {
            await engine.start(facts.ref);
            issued = true;
            outcome = { status: 'restarted', detail: 'the doctor was stopped between the stop and the start of its restart; started when the doctor came back (no settle check)', at: iso(now) };
          }
        } else if (!issued) {
          outcome = { status: 'restart-failed', detail: 'the doctor was stopped before its restart call went out; the exit is judged again', at: iso(now) };
          // Judged again on the next look, as if the doctor had never got to it: the exit is not
          // judged yet, and the restart counted ahead of the call was never made.
          const key = historyKey(engine.host, facts.ref.name);
          const { lastHandledExit: _judged, ...rest } = deps.store.history(key);
          deps.store.setHistory(key, { ...rest, restarts: rest.restarts.filter((t) => !hasTime([t], iso(step.at))) });
          await deps.store.save().catch(() => undefined);
        } else if (readDeath(story, parseTime(facts.finishedAt) ?? now, { stopSignal: facts.stopSignal, drainBoundMs: drainBoundMs(facts), startedAt: parseTime(facts.startedAt), exitCode: facts.exitCode }).cause === 'person') {
          outcome = { status: 'stopped-by-person', detail: `the doctor was stopped during its restart; a person or tool stopped it after the restart (exit code ${facts.exitCode ?? 'none'}); their stop stands`, at: iso(now) };
        } else {
          outcome = { status: 'not-running-after-restart', detail: `the doctor was stopped during its restart; found ${facts.status} (exit code ${facts.exitCode ?? 'none'}) when it started again`, at: iso(now) };
        }
      } catch (error) {
        if (!(error instanceof ContainerNotFoundError)) continue; // the engine is unwell: try again on the next start
        // Only a person or a tool removes a container the doctor restarted (it never restarts a --rm one).
        outcome = { status: 'removed-by-person', detail: 'the doctor was stopped during its restart; a person or tool removed the container since', at: iso(now) };
      }
      if (!story.steps.some((s) => s.kind === 'doctor-restart-done' && s.at >= step.at)) {
        deps.stories.append(engine.host, story.id, story.name, { at: now, kind: 'doctor-restart-done', ok: outcome.status === 'restarted' }, now);
      }
      const ahead = await deps.audit.find(story.name, step.incidentId, step.occurrence).catch(() => undefined);
      try {
        if (ahead) await this.bus.publish({ type: 'recorded', record: { ...ahead, decision: { ...ahead.decision, executed: issued }, outcome }, aheadWritten: true });
        else await deps.audit.appendEvent({ v: 1, kind: 'outcome', time: iso(now), incidentId: step.incidentId, occurrence: step.occurrence, executed: issued, outcome });
      } catch (error) {
        this.deps.feed({ type: 'warning', message: `could not record the outcome of a restart left unfinished: ${describeError(error)}` });
        continue; // still unfinished: the next start tries again
      }
      // Only once the outcome is on record is the restart finished.
      deps.stories.append(engine.host, story.id, story.name, { at: deps.clock.now(), kind: 'doctor-outcome' }, deps.clock.now());
    }
    await deps.stories.save().catch(() => undefined);
  }

  private get dedupeWindowMs(): number {
    return this.deps.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS;
  }

  private judge(g: Gathered, input: IncidentInput, ai?: Diagnosis): Judgement & { stage: 'story' | 'table' } {
    const { deps } = this;
    const policy = resolvePolicy(
      g.facts,
      { autoFix: deps.config.autoFix, maxRestartsPerHour: deps.config.maxRestartsPerHour, minDeadTimeMs: deps.config.minDeadTimeMs, freshExitMs: deps.config.freshExitMs },
      { selfId: deps.selfId },
    );
    const judged = judgeIncident({
      trigger: input.trigger, facts: g.facts, evidence: g.evidence, rules: g.rules, ai, history: g.history, policy, story: g.view,
      open: findOpenIncident(g.history, g.signature, g.now, this.dedupeWindowMs), manual: input.manual === true,
      job: jobOf(g.facts), now: g.now, rootCause: g.rootCause,
      ...(input.approval ? { approved: input.approval.mark } : {}),
      ...(deps.people && input.act ? { people: deps.people(input.engine.host, g.facts.ref.name) } : {}),
    });
    return judged;
  }

  /** An approval not carried out: nothing is recorded as an incident (approvals.ts records the answer). */
  private refusal(g: Gathered, reason: string, decision?: Decision): IncidentResult {
    return { ...this.unjudged(g, reason, decision), refused: reason };
  }

  /** What was gathered, with nothing decided or recorded. */
  private unjudged(g: Gathered, reason: string, decision?: Decision): IncidentResult {
    const d: Decision = decision ?? { action: 'none', guardrail: null, reason, executed: false, decidedBy: 'rules' };
    return {
      facts: g.facts, logs: g.logs, findings: g.findings, evidence: g.evidence, signature: g.signature, rules: g.rules, diagnosis: g.rules.diagnosis,
      decision: d, outcome: notActed(g.now, reason), history: g.history, story: g.story,
    };
  }

  /** Remembers the incident in the container's history (and, unless told otherwise, that this exit is judged). */
  private remember(history: ContainerHistory, g: RestartSubject, incidentId: string, decision: Decision, judgedExit = true): ContainerHistory {
    let next = recordIncident(history, { signature: g.signature, incidentId, at: iso(g.now), action: decision.action, guardrail: decision.guardrail, rule: g.rules.rule }, g.now);
    if (judgedExit && g.exitTrigger && g.facts.finishedAt !== null) next = { ...next, lastHandledExit: g.facts.finishedAt };
    return next;
  }

  /**
   * After the doctor's stop returned: waits for its die to reach the story (the events stream
   * brings the kills before it), then reads whether a person stopped or killed it meanwhile.
   */
  private async personStopDuring(engine: DockerEngine, ref: ContainerRef, since: number, timeoutSeconds: number, stopSignal: string): Promise<StoryStep | undefined> {
    const { deps } = this;
    const died = () => (deps.stories.story(engine.host, ref.id)?.steps ?? []).some((s) => s.kind === 'die' && s.at >= since - 1_000);
    for (let waited = 0; !died() && waited < OWN_DIE_WAIT_MS; waited += 50) await deps.sleep(50);
    return personStopInOwnStop(deps.stories.story(engine.host, ref.id), since, { timeoutSeconds, stopSignal });
  }

  /** The outcome when a person stopped it while the doctor's restart was stopping it: it was not started again. */
  private async stoppedDuringRestart(engine: DockerEngine, ref: ContainerRef, stop: StoryStep, at: number): Promise<{ outcome: Outcome; after?: ContainerFacts }> {
    const after = await engine.inspect(ref.id).catch(() => undefined);
    const detail = `a person or tool stopped it (${stop.signal ?? 'SIGKILL'} at ${iso(stop.at)}) while the doctor's restart was stopping it; not started again, their stop stands`;
    return { outcome: { status: 'stopped-by-person', detail, at: iso(at) }, ...(after ? { after } : {}) };
  }

  /** Publishing a repeat or a deferral must not fail the incident: the decision stands, the warning shows. */
  private async publishQuietly(event: Parameters<IncidentBus['publish']>[0]): Promise<void> {
    try {
      await this.bus.publish(event);
    } catch (error) {
      this.deps.feed({ type: 'warning', message: `could not record a ${event.type}: ${describeError(error)}` });
    }
  }

  /**
   * `g` when the container is still in the state it was gathered in (the same run, status, health
   * and name); else everything gathered afresh, or undefined when there is nothing left to judge.
   */
  private async stillTheSame(g: Gathered, input: IncidentInput): Promise<Gathered | undefined> {
    let now: ContainerFacts;
    try {
      now = withExitFromEvent(await input.engine.inspect(g.facts.ref.id), input.trigger);
    } catch (error) {
      if (!(error instanceof ContainerNotFoundError)) throw error;
      return this.gather(input);
    }
    return sameState(now, g.facts, input.trigger) ? g : this.gather(input);
  }

  /** Inspect, read the story and the logs, detect, diagnose by rules: everything the judge reads. */
  private async gather(input: IncidentInput): Promise<Gathered | undefined> {
    const { deps } = this;
    const { config } = deps;
    let facts: ContainerFacts;
    let removed = false;
    try {
      facts = withExitFromEvent(await input.engine.inspect(input.id), input.trigger);
    } catch (error) {
      if (!(error instanceof ContainerNotFoundError) || input.manual || input.approval) throw error;
      // Auto-removed (`docker run --rm`) right after it died: judge the exit from its event. Gone
      // by a later look (the doctor waited on Docker's policy, a storm or a dependency), it was
      // Docker's auto-remove only if it went within moments of the die; later, a person or a tool
      // removed it: theirs to account for, nothing the doctor can judge or do.
      if (input.trigger.kind !== 'die' || !input.seen) return undefined;
      if (input.recheck && !removedWithItsDeath(this.deps.stories.story(input.engine.host, input.id), input.trigger)) return undefined;
      facts = removedContainerFacts(input.engine.host, input.id, input.seen, input.trigger);
      removed = true;
    }
    const key = historyKey(input.engine.host, facts.ref.name);
    const history = historyOfThisContainer(deps.store.history(key), facts.ref.id);
    const exitTrigger = input.trigger.kind === 'die' || input.trigger.kind === 'exited' || input.trigger.kind === 'restarting';
    // The same exit reaches the handler more than once (the die event, then reconcile's `exited`
    // queued behind it); once judged, it stays judged even if the container is running again by now.
    const judgedExit = input.trigger.kind !== 'restarting' && exitTrigger && facts.finishedAt !== null && history.lastHandledExit === facts.finishedAt;
    if (judgedExit && !input.manual && !input.recheck && !input.approval) return undefined;
    if (!input.manual && !input.approval && isStaleTrigger(input.trigger, facts)) return undefined;

    // Error lines read from a run that has ended since belong to that exit, which is judged on its
    // own. Docker stamps a line when it copies it, which under load can trail the exit, and a run's
    // first lines can be stamped just before its StartedAt: a line is the current run's only when
    // it is both after the last exit and no earlier than shortly before this run started.
    let given = input.findings;
    if (given && input.trigger.kind === 'log-pattern' && facts.running) {
      const lastExit = Date.parse(facts.finishedAt ?? '');
      const started = Date.parse(facts.startedAt ?? '');
      given = given.filter((f) => {
        if (!f.ts) return true;
        const ts = Date.parse(f.ts);
        return !(ts <= lastExit) && !(ts < started - RUN_START_SLACK_MS);
      });
      if (given.length === 0 && !input.manual && !input.approval) return undefined;
    }

    const story = deps.stories.story(input.engine.host, facts.ref.id);
    const now = deps.clock.now();
    const view = readStoryView(story, facts, input.trigger, history, now);
    const death = view.death;
    if (death?.oom && !facts.oomKilled && (facts.exitCode ?? 0) !== 0 && exitTrigger) facts = { ...facts, oomKilled: true };

    const logs = removed ? [] : await readLogsUnlessGone(input.engine, facts, config.logLines);
    const redact = createRedactor({ env: facts.env, extraSecrets: deps.secrets });
    // An exit is judged on the lines of the run that ended: `docker logs` keeps every earlier run's
    // output too, and a line from before an earlier restart belongs to the exit that ended that run.
    const runFrom = exitTrigger ? death?.runFrom : undefined;
    const ofTheRun = (f: Finding) => runFrom === undefined || !f.ts || !(Date.parse(f.ts) < runFrom);
    const findings = (given ?? deps.detector.detect(logs)).filter(ofTheRun).map((f) => ({ ...f, line: redact(f.line) }));
    const stoppedByUser = death?.cause === 'person' || (facts.running && view.run.stopping !== undefined);
    const evidence = buildEvidence({ facts, logs, findings, stoppedByUser, logTailLines: config.logLines, redact });
    const signature = signatureOf(evidence.matchedLines, stateSignatureKey(evidence, input.trigger.kind));
    const rules = diagnoseByRules({ facts, evidence, trigger: input.trigger, history, now });
    const rootCause = removed ? undefined : await lookUpRootCause(input.engine, facts, rules, evidence, deps).catch(() => undefined);
    return { facts, logs, findings, evidence, signature, rules, key, history, story, view, redact, now, exitTrigger, rootCause };
  }

  /**
   * Restart, written ahead: the restart is counted and the decision appended to the audit log
   * (durably) before the call, the outcome after the settle check. If the decision cannot be
   * recorded, the doctor does not act. Public so a group's restarts (dependents, issue 12) take
   * the same path.
   */
  async restartWrittenAhead(
    g: RestartSubject,
    input: Pick<IncidentInput, 'engine'>,
    history: ContainerHistory,
    ahead: AuditRecord,
    incidentId: string,
    occurrence: number,
  ): Promise<{ record?: AuditRecord; decision: Decision; history: ContainerHistory }> {
    const { deps } = this;
    const { facts } = g;
    const { ref } = facts;
    const timeoutSeconds = stopTimeoutSeconds(facts);
    const now = g.now;
    // A restart the doctor makes again (a person acted, or it ran well) starts its attempts afresh.
    const { attemptsEnded: _ended, ...fresh } = history;
    let next = this.remember(recordRestart(fresh, iso(now), now), g, incidentId, ahead.decision);
    deps.store.setHistory(g.key, next);
    deps.stories.append(input.engine.host, ref.id, ref.name, {
      at: now, kind: 'doctor-restart', incidentId, occurrence,
      dies: facts.running || facts.status === 'restarting' ? 1 : 0,
      until: now + (timeoutSeconds + RESTART_CALL_SLACK_S) * 1000,
    }, now);
    try {
      await Promise.all([deps.store.save(), deps.stories.save()]);
      await this.bus.publish({ type: 'decided', record: ahead });
    } catch (error) {
      const decision: Decision = { ...ahead.decision, action: 'escalate', reason: `${ahead.decision.reason}; but the decision could not be recorded (${describeError(error)}), and the doctor never acts without a record`, executed: false };
      deps.stories.append(input.engine.host, ref.id, ref.name, { at: deps.clock.now(), kind: 'doctor-restart-done', ok: false }, deps.clock.now());
      // Never acted: nothing for a later doctor to finish.
      deps.stories.append(input.engine.host, ref.id, ref.name, { at: deps.clock.now(), kind: 'doctor-outcome' }, deps.clock.now());
      return { decision, history };
    }

    deps.feed({ type: 'restarting', host: input.engine.host, container: ref.name, incidentId });
    let callError: unknown;
    let personStop: StoryStep | undefined;
    let renamedTo: string | undefined;
    try {
      // `docker restart` is a stop and a start; made as two calls, a person's stop or kill while
      // this stop drains is seen before the start, and never undone by it.
      await input.engine.stop(ref, { timeoutSeconds });
      personStop = facts.running ? await this.personStopDuring(input.engine, ref, now, timeoutSeconds, facts.stopSignal) : undefined;
      // Renamed meanwhile (set aside, often with a new container under its name): theirs now.
      if (!personStop) renamedTo = await renamedAway(input.engine, ref);
      if (!personStop && renamedTo === undefined) await input.engine.start(ref);
    } catch (error) {
      callError = error;
    }
    const doneAt = deps.clock.now();
    deps.stories.append(input.engine.host, ref.id, ref.name, { at: doneAt, kind: 'doctor-restart-done', ok: callError === undefined }, doneAt);
    void deps.stories.save().catch(() => undefined);

    const verified = callError !== undefined
      ? { outcome: { status: 'restart-failed', detail: `restart call failed: ${describeError(callError)}`, at: iso(doneAt) } as Outcome }
      : personStop
        ? await this.stoppedDuringRestart(input.engine, ref, personStop, doneAt)
        : renamedTo !== undefined
          ? { outcome: { status: 'stopped-by-person', detail: `a person or tool renamed it to ${renamedTo} while the doctor's restart was stopping it (set aside); not started again`, at: iso(doneAt) } as Outcome }
          : await verifyRestart({
        engine: input.engine, ref, stopSignal: facts.stopSignal, stopTimeoutSeconds: timeoutSeconds, stories: deps.stories, clock: deps.clock, sleep: deps.sleep,
        ...(deps.stopSignal ? { cancelled: deps.stopSignal } : {}), settleMs: deps.config.settleTimeMs, since: now,
      });
    const executed = callError === undefined;
    if (verified === undefined) {
      // Shut down before the settle check ended: nothing was verified, so no outcome is claimed.
      // The restart stays unfinished in the story, and the next doctor records what it finds
      // (resolveUnfinishedRestarts), as after a doctor killed mid-check.
      deps.feed({ type: 'warning', message: `${ref.name}: the doctor is shutting down during the settle check of its restart (${incidentId}); the next doctor records the outcome` });
      await deps.stories.save().catch(() => undefined);
      return { record: ahead, decision: { ...ahead.decision, executed }, history: next };
    }
    const { outcome, after } = verified;
    const done: AuditRecord = { ...ahead, decision: { ...ahead.decision, executed }, outcome };
    await this.bus.publish({ type: 'recorded', record: done, aheadWritten: true });
    deps.stories.append(input.engine.host, ref.id, ref.name, { at: deps.clock.now(), kind: 'doctor-outcome' }, deps.clock.now());
    void deps.stories.save().catch(() => undefined);
    // An exit the settle check judged (the restarted run ended in it) is judged: its die event and
    // the next reconcile must not record it again as a new incident.
    const judgedExit = after && !after.running && after.finishedAt !== null && (parseTime(after.finishedAt) ?? 0) >= now ? after.finishedAt : undefined;
    if (judgedExit) {
      next = { ...next, lastHandledExit: judgedExit };
      deps.store.setHistory(g.key, next);
    }
    if (outcome.status !== 'not-running-after-restart' && outcome.status !== 'restart-failed') {
      if (judgedExit) await deps.store.save();
      return { record: done, decision: done.decision, history: next };
    }

    // A restart that did not hold ends the doctor's attempts for it until a person acts or it runs well.
    next = { ...next, attemptsEnded: { at: iso(deps.clock.now()), incidentId } };
    const escalation: AuditRecord = {
      ...done,
      occurrence: occurrence + 1,
      time: iso(Math.max(now, deps.clock.now())),
      decision: { action: 'escalate', reason: `the restart did not help: ${outcome.detail}; no more automatic restarts until a person acts`, guardrail: 'restart-did-not-help', executed: false, decidedBy: ahead.decision.decidedBy },
      outcome: notActed(deps.clock.now(), 'escalated to a person'),
    };
    // The escalation is this incident's latest occurrence: a later look at the same failure is a
    // repeat of it, never a second escalation under the same occurrence.
    next = recordIncident(next, { signature: g.signature, incidentId, at: escalation.time, action: 'escalate', guardrail: 'restart-did-not-help', rule: g.rules.rule }, deps.clock.now());
    deps.store.setHistory(g.key, next);
    await deps.store.save();
    await this.bus.publish({ type: 'recorded', record: escalation, aheadWritten: false });
    return { record: done, decision: done.decision, history: next };
  }
}

/** Waits for every write, then fails with the first that failed. */
async function allWritten(writes: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(writes)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A job or one-off container, as the judge names it; `--rm` has a rule of its own (never restarted, escalated). */
function jobOf(facts: ContainerFacts): string | undefined {
  const kind = jobKind(facts);
  return kind === undefined || kind === 'auto-remove' ? undefined : describeJobKind(kind);
}

/** How soon after its die Docker's auto-remove destroys a `--rm` container (it starts at once). */
const AUTO_REMOVE_MS = 2_000;

/** Whether the story shows the container destroyed within moments of the die being judged, as `--rm` does. */
function removedWithItsDeath(story: ContainerStory | undefined, trigger: Trigger): boolean {
  const diedAt = parseTime(trigger.at);
  if (diedAt === null) return false;
  return (story?.steps ?? []).some((s) => s.kind === 'destroy' && s.at >= diedAt && s.at <= diedAt + AUTO_REMOVE_MS);
}

/** A container removed right after its exit (auto-remove), as far as the `die` event tells. */
function removedContainerFacts(host: string, id: string, seen: SeenContainer, trigger: Trigger): ContainerFacts {
  return {
    ref: { id, name: seen.name, image: seen.image, host },
    status: 'removing',
    running: false,
    exitCode: trigger.exitCode ?? null,
    oomKilled: false,
    stateError: '',
    startedAt: null,
    finishedAt: trigger.at,
    restartCount: 0,
    restartPolicy: { name: 'no', maximumRetryCount: 0 },
    health: { status: 'none', failingStreak: 0, lastOutput: null, probes: [] },
    labels: seen.labels,
    tty: false,
    env: [],
    memoryLimit: 0,
    autoRemove: true,
    networkMode: '',
    stopSignal: 'SIGTERM',
    stopTimeoutSeconds: null,
  };
}

/**
 * The death that ended the run the doctor's restart (begun at `since`) started, when the container
 * now runs a later one (`startedAt`): undefined while the restarted run is the one running.
 */
function laterRun(story: ContainerStory, since: number, startedAt: number | null): StoryStep | undefined {
  const own = story.steps.find((s) => s.kind === 'start' && s.by === 'doctor' && s.at >= since - 1_000);
  if (!own || startedAt === null || startedAt <= own.at) return undefined;
  // The engine stamps StartedAt a little before the start event, never before the die that preceded it.
  return story.steps.find((s) => s.kind === 'die' && s.by !== 'doctor' && s.at > own.at && s.at <= startedAt + 200);
}

/** The container's new name when it no longer has the one the restart began with. */
async function renamedAway(engine: DockerEngine, ref: ContainerRef): Promise<string | undefined> {
  try {
    const now = await engine.inspect(ref.id);
    return now.ref.name !== ref.name ? now.ref.name : undefined;
  } catch (error) {
    if (error instanceof ContainerNotFoundError) return undefined; // removed: the start says so
    throw error;
  }
}

/** Logs of a container removed between inspect and this read are simply gone. */
async function readLogsUnlessGone(engine: DockerEngine, facts: ContainerFacts, tail: number): Promise<LogLine[]> {
  try {
    return await engine.readLogs(facts.ref, { tail, tty: facts.tty });
  } catch (error) {
    if (error instanceof ContainerNotFoundError) return [];
    throw error;
  }
}

/**
 * Nothing a person or Docker changes on a container (its run, status, health, name, restart
 * policy) differs between two looks. A container Docker keeps restarting changes run every few
 * seconds by itself: it is the same while Docker still loops it.
 */
function sameState(a: ContainerFacts, b: ContainerFacts, trigger: Trigger): boolean {
  if (a.ref.name !== b.ref.name || a.restartPolicy.name !== b.restartPolicy.name) return false;
  if (trigger.kind === 'restarting') return a.status === 'restarting' || a.running;
  return a.status === b.status && a.running === b.running && a.startedAt === b.startedAt && a.finishedAt === b.finishedAt && a.health.status === b.health.status;
}

/**
 * When Docker restarted the container before it was inspected, inspect shows the new run: take the
 * exit code of the death being judged from the `die` event instead.
 */
function withExitFromEvent(facts: ContainerFacts, trigger: Trigger): ContainerFacts {
  if (trigger.kind !== 'die' || trigger.exitCode === undefined) return facts;
  if (facts.running) return { ...facts, exitCode: trigger.exitCode, oomKilled: false };
  return facts.exitCode === null ? { ...facts, exitCode: trigger.exitCode } : facts;
}

/**
 * A trigger whose condition no longer holds when the container is looked at: the health check
 * passed again (or the doctor already restarted it), the OOM was followed by a death that its own
 * `die` event judges, Docker stopped looping. Judging it would record an incident that is not there.
 */
function isStaleTrigger(trigger: Trigger, facts: ContainerFacts): boolean {
  // Errors read from a container that has died since: its exit is judged by its own trigger.
  if (trigger.kind === 'log-pattern') return !facts.running;
  if (trigger.kind === 'unhealthy') return !(facts.running && facts.health.status === 'unhealthy');
  if (trigger.kind === 'oom') return !facts.running;
  if (trigger.kind === 'restarting') return facts.status !== 'restarting';
  return false;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function notActed(now: number, detail: string): Outcome {
  return { status: 'not-acted', detail, at: iso(now) };
}

/** Running again before the doctor acted: Docker's doing only when its restart policy restarts it; else a person's or a tool's. */
function runningAgain(facts: ContainerFacts, now: number): Outcome {
  const since = facts.startedAt ?? 'unknown';
  return facts.restartPolicy.name === 'no'
    ? notActed(now, `started again by a person or a tool (its restart policy is no): running since ${since}`)
    : { status: 'recovered-by-docker', detail: `running again since ${since}`, at: iso(now) };
}

function pending(now: number): Outcome {
  return { status: 'pending', detail: 'restart about to be issued', at: iso(now) };
}
