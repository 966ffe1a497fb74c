import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load-config.js';
import { resolvePolicy } from '../core/container-policy.js';
import { decideAction } from '../core/decide.js';
import type { Detector } from '../core/error-patterns.js';
import { ContainerNotFoundError, describeError } from '../core/errors.js';
import { buildEvidence, stateSignatureKey } from '../core/evidence.js';
import { createRedactor } from '../core/redact.js';
import { findOpenIncident, hasTime, recordDeath, recordIncident, recordOom, recordRestart } from '../core/history.js';
import { diagnoseByRules } from '../core/rules-catalog.js';
import { signatureOf } from '../core/signature.js';
import type {
  AuditRecord,
  ContainerFacts,
  ContainerHistory,
  Decision,
  Diagnosis,
  Evidence,
  Finding,
  LogLine,
  Outcome,
  RulesVerdict,
  Trigger,
} from '../core/types.js';
import type { FeedListener } from './feed.js';
import type { AuditSink, Clock, Diagnoser, DockerEngine, Notifier } from './ports.js';
import { SecondOpinions, type DiagnosisAllowance } from './second-opinion.js';
import type { StopTracker } from './stop-tracker.js';

/** Where the doctor remembers each container. Implemented by the state file adapter. */
export interface HistoryStore {
  history(key: string): ContainerHistory;
  setHistory(key: string, history: ContainerHistory): void;
  save(): Promise<void>;
}

export type { DiagnosisAllowance };

export interface HandlerDeps {
  readonly config: Config;
  readonly detector: Detector;
  readonly store: HistoryStore;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly stops: StopTracker;
  readonly feed: FeedListener;
  /** Waits; may return early when the doctor is shutting down. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Aborts when the doctor is shutting down: in-flight Claude calls give up (and so escalate). */
  readonly stopSignal?: AbortSignal;
  readonly diagnoser?: Diagnoser;
  readonly allowance?: DiagnosisAllowance;
  readonly notifier?: Notifier;
  /** The doctor's own container id, when it runs in one. */
  readonly selfId?: string;
  /** The doctor's own secrets (API key, webhook URL), kept out of every record. */
  readonly secrets?: readonly string[];
  /** Same container, same signature within this window = the same incident. */
  readonly dedupeWindowMs?: number;
}

export interface IncidentInput {
  readonly engine: DockerEngine;
  /** Container id or name. */
  readonly id: string;
  readonly trigger: Trigger;
  /** Error lines already found (reconcile reads new log lines and detects before calling). */
  readonly findings?: readonly Finding[];
  readonly stoppedByUser?: boolean;
  /** `doctor diagnose`: always produce a result, even for a healthy or already judged container. */
  readonly manual?: boolean;
  /** May restart (watch; `diagnose --fix`). */
  readonly act: boolean;
  /** Write the decision to state and the audit log, and notify. */
  readonly record: boolean;
  /** Ask Claude when it helps (false with --no-ai). */
  readonly askAi: boolean;
  /** This is the look-again after MIN_DEAD_TIME. */
  readonly recheck?: boolean;
  /** What the event said of the container (name, image, labels), for one removed before it is inspected. */
  readonly seen?: SeenContainer;
  /** Time of the last `oom` event for this container: Docker's OOMKilled flag can miss a kill. */
  readonly oomAtMs?: number;
}

export interface IncidentResult {
  readonly facts: ContainerFacts;
  readonly logs: readonly LogLine[];
  readonly findings: readonly Finding[];
  readonly evidence: Evidence;
  readonly signature: string;
  readonly rules: RulesVerdict;
  /** The diagnosis shown and recorded: Claude's when it answered, else the rules'. */
  readonly diagnosis: Diagnosis;
  readonly ai?: Diagnosis;
  readonly aiNote?: string;
  readonly decision: Decision;
  readonly outcome: Outcome;
  readonly history: ContainerHistory;
  /** What was written to the audit log, if anything. */
  readonly record?: AuditRecord;
  /** Why nothing was judged (already judged, container gone, a repeat). */
  readonly skipped?: string;
}

const DEFAULT_DEDUPE_WINDOW_MS = 60 * 60 * 1000;
const RESTART_STOP_TIMEOUT_S = 10;
/** How far before its StartedAt a run's first log lines can be stamped. */
const RUN_START_SLACK_MS = 200;
/** An `oom` event this close to an exit marks it as an OOM kill. */
const OOM_EVENT_NEAR_EXIT_MS = 10_000;

function newIncidentId(nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `inc-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A key per engine and container name: history survives the container being recreated. */
export function historyKey(host: string, name: string): string {
  return `${host || 'local'}/${name}`;
}

/**
 * One incident, start to finish: inspect and read logs, detect, diagnose (rules, then Claude when
 * the rules cannot settle it), decide, act and verify, record, notify. Callers serialise calls per
 * container; calls for different containers may run at once.
 */
export class IncidentHandler {
  /** Claude's answer (or failure) per container and failure, so one incident is asked about once. */
  private readonly opinions: SecondOpinions;

  constructor(private readonly deps: HandlerDeps) {
    this.opinions = new SecondOpinions({ ...deps, dedupeWindowMs: deps.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS });
  }

  async handle(input: IncidentInput): Promise<IncidentResult | undefined> {
    const { deps } = this;
    const { config } = deps;
    let facts: ContainerFacts;
    let removed = false;
    try {
      facts = withOomEvent(withExitFromEvent(await input.engine.inspect(input.id), input.trigger), input.oomAtMs);
    } catch (error) {
      if (!(error instanceof ContainerNotFoundError) || input.manual) throw error;
      // Auto-removed (`docker run --rm`) right after it died: judge the exit from its event.
      if (input.trigger.kind !== 'die' || !input.seen) return undefined;
      facts = removedContainerFacts(input.engine.host, input.id, input.seen, input.trigger);
      removed = true;
    }
    const key = historyKey(input.engine.host, facts.ref.name);
    let history = deps.store.history(key);
    const exitTrigger = input.trigger.kind === 'die' || input.trigger.kind === 'exited';
    // The same exit reaches the handler more than once (the die event, then reconcile's `exited`
    // queued behind it); once judged, it stays judged even if the container is running again by now
    // (restarted by the doctor or by Docker) and FinishedAt still names that exit.
    const alreadyJudged = exitTrigger && facts.finishedAt !== null && history.lastHandledExit === facts.finishedAt;
    if (alreadyJudged && !input.manual && !input.recheck) return undefined;
    if (!input.manual && isStaleTrigger(input.trigger, facts)) return undefined;

    // Error lines read from a run that has ended since (the scan raced a die and a restart) belong
    // to that exit, which is judged on its own; judging them now would blame the new run.
    // Docker stamps a line when it copies it, which under load can trail the exit, and a run's
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
      if (given.length === 0 && !input.manual) return undefined;
    }
    const logs = removed ? [] : await readLogsUnlessGone(input.engine, facts, config.logLines);
    const redact = createRedactor({ env: facts.env, extraSecrets: deps.secrets });
    const findings = (given ?? deps.detector.detect(logs)).map((f) => ({ ...f, line: redact(f.line) }));
    const now = deps.clock.now();

    // A death counts even when Docker has already started the container again: crash loops under
    // restart policy `always` are mostly seen that way.
    const isNewExit = exitTrigger && facts.finishedAt !== null && !hasTime(history.deaths, facts.finishedAt);
    if (isNewExit && input.record) {
      history = recordDeath(history, facts.finishedAt!, now);
      if (facts.oomKilled) history = recordOom(history, facts.finishedAt!, now);
    }
    // A process inside was OOM-killed but the container lives on: it still counts towards a leak.
    if (input.trigger.kind === 'oom' && facts.running && input.record) history = recordOom(history, input.trigger.at, now);

    const evidence = buildEvidence({ facts, logs, findings, stoppedByUser: input.stoppedByUser ?? false, logTailLines: config.logLines, redact });
    const signature = signatureOf(evidence.matchedLines, stateSignatureKey(evidence, input.trigger.kind));
    const open = findOpenIncident(history, signature, now, deps.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS);
    const rules = diagnoseByRules({ facts, evidence, trigger: input.trigger, history, now });
    const policy = resolvePolicy(
      facts,
      { autoFix: config.autoFix, maxRestartsPerHour: config.maxRestartsPerHour, minDeadTimeMs: config.minDeadTimeMs },
      { selfId: deps.selfId },
    );

    const aiLogTail = () => logs.map((l) => redact(l.text));
    const { ai, aiNote, aiUsage } =
      input.askAi && (input.manual || !rules.settled)
        ? await this.opinions.ask({ facts, evidence, logTail: aiLogTail, rules, history, signature, key, seenBefore: open !== undefined, manual: input.manual === true, now })
        : {};
    let decision = decideAction({ incident: { trigger: input.trigger, evidence, facts }, rules, ai, history, policy, now });

    if (decision.deferUntil && !input.manual) {
      if (input.record) {
        deps.store.setHistory(key, history);
        await deps.store.save();
      }
      deps.feed({ type: 'deferred', host: input.engine.host, container: facts.ref.name, until: decision.deferUntil, reason: decision.reason });
      return { facts, logs, findings, evidence, signature, rules, diagnosis: ai ?? rules.diagnosis, ai, aiNote, decision, outcome: notActed(now, 'deferred'), history };
    }

    const isRepeat = open !== undefined && open.lastAction === decision.action && decision.action !== 'restart';
    if (isRepeat && !input.manual) {
      history = recordIncident(history, { signature, incidentId: open.incidentId, at: iso(now), action: decision.action, rule: rules.rule }, now);
      if (exitTrigger && facts.finishedAt !== null) history = { ...history, lastHandledExit: facts.finishedAt };
      if (input.record) {
        deps.store.setHistory(key, history);
        await deps.store.save();
      }
      deps.feed({ type: 'repeat', host: input.engine.host, container: facts.ref.name, incidentId: open.incidentId, count: open.count + 1 });
      return {
        facts, logs, findings, evidence, signature, rules, diagnosis: ai ?? rules.diagnosis, ai, aiNote, decision,
        outcome: notActed(now, 'same incident as before; already recorded'), history, skipped: 'repeat',
      };
    }

    const incidentId = open?.incidentId ?? newIncidentId(now);
    const occurrence = (open?.count ?? 0) + 1;
    let outcome: Outcome;
    if (decision.action === 'restart' && input.act) {
      const acted = await this.restartAndVerify(input.engine, facts, key, history, now, incidentId);
      history = acted.history;
      outcome = acted.outcome;
      decision = { ...decision, executed: acted.issued };
    } else if (decision.guardrail === 'restart-policy-pending' && facts.running) {
      outcome = { status: 'recovered-by-docker', detail: `running again since ${facts.startedAt ?? 'unknown'}`, at: iso(now) };
    } else {
      outcome = notActed(now, decision.action === 'restart' ? 'restart not performed (diagnose without --fix)' : 'no action taken');
    }
    const record: AuditRecord = {
      v: 1,
      incidentId,
      occurrence,
      time: new Date(now).toISOString(),
      container: facts.ref,
      trigger: input.trigger,
      evidence,
      signature,
      diagnosis: ai ?? rules.diagnosis,
      ...(ai ? { rulesDiagnosis: rules.diagnosis } : {}),
      ...(aiNote ? { aiNote } : {}),
      ...(aiUsage ? { aiUsage } : {}),
      decision,
      outcome,
    };

    if (input.record) {
      history = recordIncident(history, { signature, incidentId, at: iso(now), action: decision.action, rule: rules.rule }, now);
      if (exitTrigger && facts.finishedAt !== null) history = { ...history, lastHandledExit: facts.finishedAt };
      deps.store.setHistory(key, history);
      await deps.store.save();
      await deps.audit.append(record);
      deps.feed({ type: 'incident', record });
      deps.notifier?.incident(record);
      if (decision.executed && outcome.status !== 'restarted') await this.escalateFailedRestart(record, now);
    }
    return { facts, logs, findings, evidence, signature, rules, diagnosis: ai ?? rules.diagnosis, ai, aiNote, decision, outcome, history, record: input.record ? record : undefined };
  }

  private async restartAndVerify(
    engine: DockerEngine,
    facts: ContainerFacts,
    key: string,
    history: ContainerHistory,
    now: number,
    incidentId: string,
  ): Promise<{ issued: boolean; outcome: Outcome; history: ContainerHistory }> {
    const { deps } = this;
    const { ref } = facts;
    deps.feed({ type: 'restarting', host: engine.host, container: ref.name, incidentId });
    deps.stops.beginOwnRestart(ref.id, now, facts.running || facts.status === 'restarting' ? 1 : 0);
    try {
      await engine.restart(ref, { timeoutSeconds: RESTART_STOP_TIMEOUT_S });
    } catch (error) {
      deps.stops.endOwnRestart(ref.id, deps.clock.now());
      return { issued: false, history, outcome: { status: 'restart-failed', detail: `restart call failed: ${describeError(error)}`, at: iso(deps.clock.now()) } };
    }
    deps.stops.endOwnRestart(ref.id, deps.clock.now());
    // Count the restart and persist it before the settle wait, so a crash of the doctor during the
    // wait cannot lose it (the throttle must hold across the doctor's own restarts).
    const restarted = recordRestart(history, iso(now), now);
    deps.store.setHistory(key, restarted);
    await deps.store.save();

    let startedAt: string | null = null;
    try {
      startedAt = (await engine.inspect(ref.id)).startedAt;
    } catch {
      // judged after the settle time
    }
    const settleFrom = deps.clock.now();
    await deps.sleep(deps.config.settleTimeMs);
    try {
      const after = await engine.inspect(ref.id);
      // Measured, not configured: a shutdown cuts the wait short.
      const settle = `${Math.round((deps.clock.now() - settleFrom) / 1000)} s`;
      if (after.running && after.status === 'running' && (startedAt === null || after.startedAt === startedAt)) {
        return { issued: true, history: restarted, outcome: { status: 'restarted', detail: `restarted; still running after ${settle}`, at: iso(deps.clock.now()) } };
      }
      const how = after.running ? `it was restarted again since (now ${after.status})` : `it is ${after.status} (exit code ${after.exitCode ?? 'none'})`;
      return { issued: true, history: restarted, outcome: { status: 'not-running-after-restart', detail: `restarted, but ${settle} later ${how}`, at: iso(deps.clock.now()) } };
    } catch (error) {
      return { issued: true, history: restarted, outcome: { status: 'not-running-after-restart', detail: `restarted, but could not verify: ${describeError(error)}`, at: iso(deps.clock.now()) } };
    }
  }

  /** A restart that did not hold becomes an escalation on record, and people are told. */
  private async escalateFailedRestart(record: AuditRecord, now: number): Promise<void> {
    const escalation: AuditRecord = {
      ...record,
      occurrence: record.occurrence + 1,
      time: new Date(Math.max(now, this.deps.clock.now())).toISOString(),
      decision: {
        action: 'escalate',
        reason: `the restart did not help: ${record.outcome.detail}`,
        guardrail: null,
        executed: false,
        decidedBy: record.decision.decidedBy,
      },
      outcome: notActed(this.deps.clock.now(), 'escalated to a person'),
    };
    await this.deps.audit.append(escalation);
    this.deps.feed({ type: 'incident', record: escalation });
    this.deps.notifier?.incident(escalation);
  }
}

/**
 * A trigger whose condition no longer holds when the container is looked at: the health check
 * passed again (or the doctor already restarted it), the OOM was followed by a death that its own
 * `die` event judges, Docker stopped looping. Judging it would record an incident that is not there.
 */
/** The container as its event described it. */
export interface SeenContainer {
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A container removed right after its exit (auto-remove), as far as the `die` event tells. */
function removedContainerFacts(host: string, id: string, seen: SeenContainer, trigger: Trigger): ContainerFacts {
  return {
    ref: { id, name: seen.name, image: seen.image, host },
    status: 'removing',
    running: false,
    exitCode: trigger.exitCode ?? null,
    oomKilled: trigger.oom === true,
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
 * When Docker restarted the container before it was inspected, inspect shows the new run: take the
 * exit code (and an OOM kill) of the death being judged from the `die` event instead.
 */
function withExitFromEvent(facts: ContainerFacts, trigger: Trigger): ContainerFacts {
  if (trigger.kind !== 'die') return facts;
  const exitCode = facts.exitCode ?? trigger.exitCode ?? null;
  const oomKilled = facts.oomKilled || (trigger.oom === true && !facts.running);
  if (facts.running && trigger.exitCode !== undefined) return { ...facts, exitCode: trigger.exitCode, oomKilled: facts.oomKilled || trigger.oom === true };
  return exitCode === facts.exitCode && oomKilled === facts.oomKilled ? facts : { ...facts, exitCode, oomKilled };
}

/**
 * containerd can report the OOM after the exit, and then inspect says OOMKilled=false: an `oom`
 * event within seconds of the exit settles it.
 */
function withOomEvent(facts: ContainerFacts, oomAtMs: number | undefined): ContainerFacts {
  if (oomAtMs === undefined || facts.running || facts.oomKilled || facts.exitCode !== 137) return facts;
  const finished = Date.parse(facts.finishedAt ?? '');
  return Math.abs(finished - oomAtMs) <= OOM_EVENT_NEAR_EXIT_MS ? { ...facts, oomKilled: true } : facts;
}

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

