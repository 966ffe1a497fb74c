/**
 * The judge: every decision the doctor makes about an incident, as one pure function of the
 * evidence, the container's story, its history, its policy and the clock. The incident handler
 * only gathers what this reads and carries out what it returns.
 *
 * It reads the story first (who did what: a person's stop, the doctor's own restart, a death no
 * one saw, stale health after a pause), then the guardrail table of decide.ts, then whether this
 * is the same incident as one already recorded. docs/decision-rules.md lists every rule.
 */
import { LIFTED_BY_APPROVAL } from './approval.js';
import { decideAction } from './decide.js';
import { gatePeople, type GateResult, type PeopleInput } from './people-gate.js';
import { formatDuration } from './format.js';
import { describeRootCause } from './root-cause.js';
import { parseTime } from './history.js';
import { drainBoundMs, stopTimeoutSeconds } from './container-policy.js';
import { personActedSince, readDeath, readRun, type ContainerStory, type DeathReading, type RunReading } from './story.js';
import type { ApprovalMark, ContainerFacts, ContainerHistory, Decision, Diagnosis, Evidence, Guardrail, IncidentMemory, Policy, RootCause, RulesVerdict, Trigger } from './types.js';

/** What the story says about the incident, read by the gather stage with story.ts. */
export interface StoryView {
  /** For an exit (die, exited, restarting): how the death being judged came about. */
  readonly death?: DeathReading;
  /** The current run of a running or paused container. */
  readonly run: RunReading;
  /** A person acted on the container (started, restarted or stopped it) since the doctor gave up on it. */
  readonly personActedSinceGaveUp: boolean;
}

/** Reads what the judge needs off a container's story at `now` (pure; the handler and the tests share it). */
export function readStoryView(story: ContainerStory | undefined, facts: ContainerFacts, trigger: Trigger, history: ContainerHistory, now: number): StoryView {
  const exitTrigger = trigger.kind === 'die' || trigger.kind === 'exited' || trigger.kind === 'restarting';
  const startedAt = parseTime(facts.startedAt);
  const diedAt = trigger.kind === 'die' ? parseTime(trigger.at) : parseTime(facts.finishedAt);
  // A die judged after Docker already started the container again belongs to the run before this one.
  const deathRunStart = trigger.kind === 'die' && facts.running ? null : startedAt;
  const drain = { stopSignal: facts.stopSignal, drainBoundMs: drainBoundMs(facts) };
  const exitCode = trigger.kind === 'die' ? trigger.exitCode : facts.running ? undefined : facts.exitCode;
  const death = (exitTrigger || !facts.running) && diedAt !== null && facts.status !== 'created'
    ? readDeath(story, diedAt, { ...drain, startedAt: deathRunStart, exitCode })
    : undefined;
  return {
    death,
    run: readRun(story, { ...drain, startedAt, now }),
    personActedSinceGaveUp: history.attemptsEnded ? personActedSince(story, parseTime(history.attemptsEnded.at) ?? 0) : false,
  };
}

export interface JudgeInput {
  readonly trigger: Trigger;
  readonly facts: ContainerFacts;
  readonly evidence: Evidence;
  readonly rules: RulesVerdict;
  /** The AI's diagnosis, when one was asked and answered. */
  readonly ai?: Diagnosis;
  readonly history: ContainerHistory;
  readonly policy: Policy;
  readonly story: StoryView;
  /** The remembered incident with the same signature, when it is still open. */
  readonly open?: IncidentMemory;
  /** `doctor diagnose`: always produce a decision (a person asked), never skip. */
  readonly manual: boolean;
  /** A job or one-off container (never re-run), as a phrase: "a GitLab CI job container". */
  readonly job?: string;
  /** The failure is another watched container's, which is down or unhealthy (issue 12). */
  readonly rootCause?: RootCause;
  readonly now: number;
  /** A person approved a restart of this incident: the guardrails that protect people are lifted, never the facts. */
  readonly approved?: ApprovalMark;
  /** Snoozes, overrides, maintenance, quiet hours, AUTO_FIX=ask (people-gate.ts); absent = none apply. */
  readonly people?: PeopleInput;
}

export interface Judgement {
  readonly decision: Decision;
  /** Nothing to record: the trigger's condition does not hold (the doctor's own die, health that went stale, ...). */
  readonly skip?: string;
  /** Same incident, same decision as already recorded: count it, do not record or tell again. */
  readonly repeat?: IncidentMemory;
  /** `story`: who did what decided it, and no diagnosis can change that; `table`: the guardrail table did. */
  readonly stage: 'story' | 'table';
  /** What people's instructions made of the decision: silenced, held for quiet hours, proposed, looked at again later. */
  readonly gate?: Omit<GateResult, 'decision'>;
}

/** A death shorter than this after a start says nothing about a restart helping. */
export const HEALTHY_RUN_MS = 10 * 60 * 1000;

const none = (guardrail: Guardrail | null, reason: string): Decision => ({ action: 'none', guardrail, reason, executed: false, decidedBy: 'rules' });
const escalate = (guardrail: Guardrail | null, reason: string): Decision => ({ action: 'escalate', guardrail, reason, executed: false, decidedBy: 'rules' });
const skip = (reason: string): Judgement => ({ decision: none(null, reason), skip: reason, stage: 'story' });

export function judgeIncident(input: JudgeInput): Judgement {
  const fromStory = readTheStory(input);
  // A dependency failure whose root is another watched container, down (issue 12), before the table.
  const judged = fromStory ?? attributeToRoot(input) ?? { stage: 'table' as const, decision: decideAction({ incident: { trigger: input.trigger, evidence: input.evidence, facts: input.facts }, rules: input.rules, ai: input.ai, history: input.history, policy: input.policy, now: input.now, approved: input.approved }) };
  return withRepeat(input, withPeople(input, judged));
}

/** People's instructions, after the rules: they change what is done and who is told, never what was found. */
function withPeople(input: JudgeInput, judged: Judgement): Judgement {
  if (judged.skip) return judged;
  const decision = input.approved && judged.decision.action === 'restart' ? { ...judged.decision, approvedBy: input.approved } : judged.decision;
  if (!input.people) return { ...judged, decision };
  const severity = (input.ai ?? input.rules.diagnosis).severity;
  const { decision: gated, ...gate } = gatePeople({ decision, facts: input.facts, severity, people: input.people, open: input.open, manual: input.manual, now: input.now });
  return { ...judged, decision: gated, gate };
}

/** The story rules an approval lifts (a person decided): the doctor gave up, or could not tell who stopped it. */
function liftedByApproval(input: JudgeInput, judged: Judgement | undefined): boolean {
  return input.approved !== undefined && judged?.decision.guardrail != null && LIFTED_BY_APPROVAL.has(judged.decision.guardrail);
}

/** Rules that come from who did what, before any diagnosis counts. */
function readTheStory(input: JudgeInput): Judgement | undefined {
  const judged = readStoryRules(input);
  return liftedByApproval(input, judged) ? undefined : judged;
}

function readStoryRules(input: JudgeInput): Judgement | undefined {
  const { trigger, facts, evidence, story, policy, now, manual } = input;
  if (policy.isSelf) return undefined; // decide.ts says why, first
  const isExit = trigger.kind === 'die' || trigger.kind === 'exited' || trigger.kind === 'restarting';
  const down = !facts.running && facts.status !== 'paused';
  const { death, run } = story;

  if (death && isExit) {
    if (death.cause === 'doctor' && !manual) {
      // Its own restart's die is checked by the restart itself; found down afterwards, that restart did not bring it back.
      if (trigger.kind === 'die' || !down) return skip('the die of the doctor\'s own restart');
      return { stage: 'story', decision: escalate('restart-did-not-help', `the doctor's restart left it ${facts.status} (exit code ${evidence.exitCode ?? 'unknown'}); a person must look`) };
    }
    if (death.cause === 'person') {
      const how = death.stop ? `${death.stop.signal} at ${iso(death.stop.at)}, ${formatDuration(Math.max(0, death.at - death.stop.at))} before it exited` : 'a stop';
      if (facts.status === 'removing') return { stage: 'story', decision: none('manual-stop', `stopped and removed by a person or tool (${how}: docker rm -f, compose down, a recreate); nothing to do`) };
      return facts.running
        ? { stage: 'story', decision: none('manual-stop', `stopped by a person or tool (${how}) and running again (started by hand or docker restart); nothing to do`) }
        : { stage: 'story', decision: none('manual-stop', `stopped by a person or tool (${how}, exit code ${evidence.exitCode ?? 'unknown'}); it stays stopped until someone starts it`) };
    }
  }
  // Stopped by a person (the exit being looked at, whatever the trigger): theirs until started again.
  if (down && death?.cause === 'person') {
    return { stage: 'story', decision: none('manual-stop', 'stopped by a person or tool; it stays stopped until someone starts it') };
  }
  // A person's `docker kill -s TERM` that it ignored, then a death minutes later: not their stop
  // (a silent "stopped on purpose" would hide the failure), nor a crash to restart (they did ask it to stop).
  if (death?.ignoredStop && (isExit || down)) {
    const { signal, at } = death.ignoredStop;
    const again = facts.running ? ' It is running again (started by its restart policy or by hand).' : '';
    return { stage: 'story', decision: escalate('stop-ignored', `died (exit code ${evidence.exitCode ?? 'unknown'}) ${formatDuration(Math.max(0, death.at - at))} after a person's or tool's ${signal} (at ${iso(at)}) that it seemed to ignore: it ran on past its ${stopTimeoutSeconds(facts)} s stop timeout. Not restarting what a person asked to stop; start it by hand if that signal was not meant as a stop.${again}`) };
  }
  if (facts.running && run.stopping) {
    const reason = `a person or tool is stopping it (${run.stopping.signal} at ${iso(run.stopping.at)}, ${formatDuration(Math.max(0, now - run.stopping.at))} ago) and it is still draining; leaving it alone`;
    return trigger.kind === 'log-pattern' && !manual ? skip(reason) : { stage: 'story', decision: none('manual-stop', reason) };
  }
  if (facts.status === 'paused' || run.pausedSince !== undefined) {
    return manual ? { stage: 'story', decision: none('manual-stop', 'paused on purpose (docker pause); leaving it alone') } : skip('paused');
  }
  if (trigger.kind === 'unhealthy' && facts.running) {
    const backed = healthIsBacked(facts, run);
    if (backed !== true && !manual) return skip(backed);
  }
  if (facts.running && run.ignoredStop && facts.health.status === 'unhealthy') {
    const { signal, at } = run.ignoredStop;
    return { stage: 'story', decision: escalate('stop-ignored', `unhealthy and still running ${formatDuration(Math.max(0, now - at))} after a person's or tool's ${signal} (at ${iso(at)}) that it seems to ignore (its stop timeout is ${stopTimeoutSeconds(facts)} s). Not restarting what a person asked to stop; stop it by hand (docker stop kills it after the timeout), or restart it if that signal was not meant as a stop.`) };
  }
  if (down && evidence.exitCode === 0 && facts.status !== 'created') {
    return { stage: 'story', decision: none('completed', `exited with code 0 (its process finished: a completed job${evidence.oomKilled ? '; Docker still shows OOMKilled from a child process, which does not change that it finished' : ''}); nothing to fix`) };
  }
  // Ctrl-C in an interactive session (the rules' failureClass 'person', issue 8): a person ended it,
  // and a --rm or one-off session is theirs as much as a stopped service is.
  if (down && input.rules.rule === 'sigint' && input.rules.failureClass === 'person') {
    return { stage: 'story', decision: none('manual-stop', `${input.rules.diagnosis.root_cause} Nothing to do.`) };
  }
  if (input.job && (down || facts.status === 'restarting')) {
    return { stage: 'story', decision: escalate('job', `${input.job} that failed (exit code ${evidence.exitCode ?? 'unknown'}); re-running it would repeat its side effects, so a person decides`) };
  }
  if (facts.autoRemove) {
    return down
      ? { stage: 'story', decision: escalate('removed', `exited with code ${evidence.exitCode ?? 'unknown'} and is auto-removed (--rm); there is nothing to restart, escalating`) }
      : { stage: 'story', decision: escalate('removed', 'started with --rm (auto-remove): the doctor never restarts such a container, escalating') };
  }
  if (death && down && (trigger.kind === 'exited' || manual)) {
    const ago = formatDuration(Math.max(0, now - death.at));
    if (death.cause === 'unknown') {
      // `diagnose --fix` included: a person asking for a fix is not necessarily the one who stopped it.
      return now - death.at <= policy.freshExitMs || manual
        ? { stage: 'story', decision: escalate('unknown-stop', `found exited ${ago} ago (code ${evidence.exitCode ?? 'unknown'}) and the engine no longer has the events to tell whether a person stopped it; leaving it down for a person to decide`) }
        : { stage: 'story', decision: none('stale-exit', `found exited ${ago} ago, before the doctor was watching (code ${evidence.exitCode ?? 'unknown'}); it has been down since, not restarting an old exit`) };
    }
    if (now - death.at > policy.freshExitMs && !manual) {
      return { stage: 'story', decision: none('stale-exit', `crashed ${ago} ago (code ${evidence.exitCode ?? 'unknown'}), longer ago than FRESH_EXIT_WINDOW (${formatDuration(policy.freshExitMs)}); down since then, not restarting an old exit`) };
    }
  }
  const gaveUp = input.history.attemptsEnded;
  if (gaveUp && !manual) {
    const since = parseTime(gaveUp.at) ?? 0;
    const runStart = run.startedAt ?? parseTime(facts.startedAt);
    const ranWell = runStart !== null && runStart > since && (death ? death.at : now) - runStart >= HEALTHY_RUN_MS;
    if (!ranWell && !story.personActedSinceGaveUp) {
      return { stage: 'story', decision: escalate('restart-did-not-help', `an earlier restart did not help (${gaveUp.at}); no more automatic restarts until a person acts or it runs for ${formatDuration(HEALTHY_RUN_MS)}`) };
    }
  }
  return undefined;
}

/**
 * A dependency failure whose address is another watched container that is not well: the root is
 * that container, so this one is not restarted while it is down (a restart only adds load and
 * fails the same way); the watcher looks again once the root is back.
 */
function attributeToRoot(input: JudgeInput): Judgement | undefined {
  const { rootCause, facts } = input;
  if (!rootCause || input.policy.isSelf) return undefined;
  const root = rootCause.root.name;
  return {
    stage: 'story',
    decision: none('dependency-down', `${describeRootCause(facts.ref.name, rootCause)}; not restarting ${facts.ref.name} while ${root} is ${rootCause.state}: once ${root} is back, it is restarted if it is still failing`),
  };
}

/** Docker keeps only a container's last 5 probes. */
const PROBES_KEPT = 5;

/**
 * Health counts only when backed by Docker's own verdict in this run, unpaused: Docker marks a
 * paused container unhealthy (its probes cannot exec) and keeps that status after unpause, where
 * one failing probe then is no verdict. After an unpause it takes as many failures in a row as
 * the health check's retries (of the last 5 Docker keeps), as after a start.
 */
export function healthIsBacked(facts: ContainerFacts, run: RunReading): true | string {
  if (facts.health.status !== 'unhealthy') return `health is ${facts.health.status} now`;
  const startedAt = Math.max(run.startedAt ?? 0, parseTime(facts.startedAt) ?? 0);
  const from = Math.max(startedAt, run.unpausedAt ?? 0);
  const fresh = facts.health.probes.filter((p) => (parseTime(p.start) ?? 0) >= from);
  const last = fresh[fresh.length - 1];
  if (last === undefined) return 'unhealthy from before its last start or unpause, with no probe since';
  if (last.exitCode === 0) return 'the latest probe passed';
  if (run.unpausedAt !== undefined && run.unpausedAt > startedAt) {
    const needed = Math.min(facts.health.retries ?? 3, PROBES_KEPT);
    let streak = 0;
    for (let i = fresh.length - 1; i >= 0 && fresh[i]!.exitCode !== 0; i -= 1) streak += 1;
    if (streak < needed) return `unhealthy since before its unpause; ${streak} of the ${needed} failing probes in a row its health check needs since`;
  }
  return true;
}

function withRepeat(input: JudgeInput, judged: Judgement): Judgement {
  if (judged.skip || input.manual) return judged;
  const { open } = input;
  const { decision } = judged;
  if (decision.deferUntil || !open) return judged;
  // The same action for the same reason: a crash loop found behind an earlier escalation, or the
  // throttle reached, is news worth recording once.
  const sameReason = open.lastGuardrail === undefined || open.lastGuardrail === decision.guardrail;
  return open.lastAction === decision.action && sameReason && decision.action !== 'restart' ? { ...judged, repeat: open } : judged;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
