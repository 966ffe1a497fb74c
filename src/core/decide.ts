/**
 * The guardrail table: restart, escalate, or do nothing, once the story has been read (judge.ts
 * reads who did what first: a person's stop, a finished job, a removed or job container, an old
 * or unknown death). Code, not opinion: a pure function of the incident, the diagnoses, the
 * container's history and its policy.
 *
 * Guardrails are checked in this order; the first that applies decides (docs/decision-rules.md):
 *
 *  1. self                   the doctor's own container                  -> none
 *  2. crash-loop             N deaths in the window, or Docker looping   -> escalate
 *  3. restart-policy-pending died, but Docker already brought it back    -> none
 *  4. still-running          running and not unhealthy                   -> escalate if high, else none
 *  5. restart-cannot-fix     Docker reports the container `dead`         -> escalate
 *  6. restart-cannot-fix     disk, permissions, command, configuration   -> escalate
 *  7. oom-recurring          N OOM kills in 24 h                         -> escalate
 *  8. not-safe (rules)       not severity high + restart-safe            -> escalate (none if low)
 *  9. not-safe (AI)          the AI vetoes the restart                   -> escalate (none if low)
 * 10. restart-throttle       MAX_RESTARTS_PER_HOUR used up               -> escalate
 * 11. label-never            doctor.restart=never                        -> escalate
 * 12. stateful-image         a database or other stateful service        -> escalate
 * 13. restart-policy-pending Docker may still restart it: MIN_DEAD_TIME  -> none, deferUntil
 * 14. observe-only           AUTO_FIX=false                              -> escalate ("would restart")
 *     otherwise                                                          -> restart
 *
 * The AI's diagnosis only ever adds caution: it is consulted after the rules allow a restart and
 * can only veto it.
 */
import { LIFTED_BY_APPROVAL, personName } from './approval.js';
import { LABEL_RESTART, LABEL_STATEFUL } from './container-policy.js';
import { formatDuration } from './format.js';
import { HOUR_MS, countWithin, includeTime, parseTime } from './history.js';
import { ordinal } from './evidence-text.js';
import { maxSeverity, severityRank } from './rules/index.js';
import type { ApprovalMark, ContainerFacts, ContainerHistory, Decision, Diagnosis, Evidence, Guardrail, Policy, RulesVerdict, Trigger } from './types.js';

/** Everything a decision is a function of. */
export interface DecisionInput {
  readonly incident: { readonly trigger: Trigger; readonly evidence: Evidence; readonly facts: ContainerFacts };
  readonly rules: RulesVerdict;
  /** Claude's diagnosis, when it was asked and answered. */
  readonly ai?: Diagnosis;
  readonly history: ContainerHistory;
  readonly policy: Policy;
  readonly now: number;
  /** A person approved the restart: the guardrails that protect people (LIFTED_BY_APPROVAL) do not apply. */
  readonly approved?: ApprovalMark;
}

type Verdict = Omit<Decision, 'executed' | 'decidedBy'> & { decidedBy?: Decision['decidedBy'] };

/** Decides what to do about one incident. `executed` is always false: the act stage sets it. */
export function decideAction(input: DecisionInput): Decision {
  const verdict = judge(input);
  return {
    action: verdict.action,
    reason: verdict.reason,
    guardrail: verdict.guardrail,
    executed: false,
    decidedBy: verdict.decidedBy ?? 'rules',
    ...(verdict.deferUntil !== undefined ? { deferUntil: verdict.deferUntil } : {}),
  };
}

function judge(input: DecisionInput): Verdict {
  const { incident, rules, ai, history, policy, now, approved } = input;
  const { evidence, facts, trigger } = incident;
  const running = evidence.status === 'running';
  const rulesDx = rules.diagnosis;
  const stop = (action: Decision['action'], guardrail: Guardrail | null, reason: string, decidedBy?: Decision['decidedBy']): Verdict =>
    ({ action, guardrail, reason, ...(decidedBy ? { decidedBy } : {}) });
  // Approved: the guardrails that protect people are noted and passed, the facts still decide.
  const lifted: string[] = [];
  const lifts = (guardrail: Guardrail): boolean => {
    if (!approved || !LIFTED_BY_APPROVAL.has(guardrail)) return false;
    lifted.push(guardrail);
    return true;
  };

  if (policy.isSelf) {
    return stop('none', 'self', "this is the doctor's own container; it never restarts itself, and acting on its own errors would feed back into them");
  }
  const loop = detectCrashLoop(input);
  if (loop && !lifts('crash-loop')) return stop('escalate', 'crash-loop', `${loop} (crash loop); restarting would make it worse`);

  if (running && evidence.health !== 'unhealthy' && (trigger.kind === 'die' || trigger.kind === 'exited')) {
    const docker = facts.restartPolicy.name === 'no' ? 'it was started again' : `Docker's restart policy (${facts.restartPolicy.name}) already brought it back`;
    return stop('none', 'restart-policy-pending', `it exited (code ${evidence.exitCode ?? 'unknown'}) but ${docker}; recording the crash, no restart needed`);
  }
  if (running && evidence.health !== 'unhealthy' && rules.rule === 'no-problem') {
    return stop('none', null, 'running normally with no error lines; nothing to do');
  }
  if (running && evidence.health !== 'unhealthy') {
    const severity = ai ? maxSeverity(rulesDx.severity, ai.severity) : rulesDx.severity;
    const by = ai && ai.severity === 'high' && rulesDx.severity !== 'high' ? 'claude' : 'rules';
    const what = `still running (health: ${evidence.health}) and only logging errors (${rules.rule})`;
    return severity === 'high'
      ? stop('escalate', 'still-running', `${what}; a restart is not warranted while it runs, escalating because severity is high`, by)
      : stop('none', 'still-running', `${what}; severity ${severity}, recording only`, by);
  }
  if (evidence.status === 'dead') {
    return stop('escalate', 'restart-cannot-fix', 'Docker reports it "dead" (a removal that failed); it cannot be restarted, a person must clean it up');
  }
  if (rules.restartCannotFix) {
    return stop('escalate', 'restart-cannot-fix', `${rules.rule}: a restart cannot fix this (the cause is outside the process and survives a restart); escalating`);
  }

  const isOom = evidence.oomKilled || trigger.kind === 'oom' || rules.rule === 'oom-kill';
  if (isOom) {
    const ooms = countWithin(includeTime(history.ooms, running ? trigger.at : evidence.finishedAt ?? trigger.at), now, policy.oomLeak.windowMs);
    if (ooms >= policy.oomLeak.ooms && !lifts('oom-recurring')) {
      return stop('escalate', 'oom-recurring', `${ordinal(ooms)} OOM kill in ${formatDuration(policy.oomLeak.windowMs)} (limit ${policy.oomLeak.ooms}): likely a memory leak or a limit too low; escalating instead of restarting`);
    }
  }

  if (!restartable(rulesDx) && !lifts('not-safe')) {
    const action = severityRank(rulesDx.severity) >= 1 ? 'escalate' : 'none';
    return stop(action, 'not-safe', `rules (${rules.rule}) rate it severity ${rulesDx.severity}, ${rulesDx.auto_restart_safe ? 'restart-safe' : 'not safe to restart automatically'}; ${action === 'escalate' ? 'escalating' : 'recording only'}`, 'rules');
  }
  if (ai && !restartable(ai) && !lifts('not-safe')) {
    // Claude may only add caution: when in doubt between the two severities, tell a person.
    const severity = maxSeverity(rulesDx.severity, ai.severity);
    const action = severityRank(severity) >= 1 ? 'escalate' : 'none';
    if (ai.source === 'rules') {
      // The caller's stand-in when Claude was asked and gave no usable answer.
      return stop(action, 'not-safe', `rules (${rules.rule}) would restart, but the Claude second opinion failed, so the restart is not confirmed; ${action === 'escalate' ? 'escalating' : 'recording only'}`, 'rules');
    }
    return stop(action, 'not-safe', `Claude rates it severity ${ai.severity}, ${ai.auto_restart_safe ? 'restart-safe' : 'not safe to restart'} (rules said ${rulesDx.severity}, restart-safe); not restarting, ${action === 'escalate' ? 'escalating' : 'recording only'}`, 'claude');
  }

  const by: Decision['decidedBy'] = ai ? 'claude' : 'rules';
  const restartsLastHour = countWithin(history.restarts, now, HOUR_MS);
  if (restartsLastHour >= policy.maxRestartsPerHour && !lifts('restart-throttle')) {
    return stop('escalate', 'restart-throttle', `already restarted ${restartsLastHour} time${restartsLastHour === 1 ? '' : 's'} in the last hour (MAX_RESTARTS_PER_HOUR=${policy.maxRestartsPerHour}); automatic restarts stop here and a person must look`, by);
  }
  if (policy.restartNever && !lifts('label-never')) {
    return stop('escalate', 'label-never', `labelled ${LABEL_RESTART}=never; escalating instead of restarting`, by);
  }
  if (policy.stateful && !lifts('stateful-image')) {
    return stop('escalate', 'stateful-image', `${facts.ref.image} is a stateful service (a database, queue or store); escalating instead of restarting behind its operator's back (label ${LABEL_STATEFUL}=false allows restarts)`, by);
  }

  if (!running && !approved) {
    const pending = restartPolicyPending(input);
    if (pending) return { ...pending, decidedBy: by };
  }

  const wouldRestart = running
    ? `running but unhealthy (${facts.health.failingStreak} failed probes; Docker does not restart unhealthy containers itself)`
    : `${rules.rule}, exit code ${evidence.exitCode ?? 'unknown'}${dockerPolicyNote(facts, evidence, now)}`;
  if (approved) {
    const passed = lifted.length > 0 ? `; approval lifts ${[...new Set(lifted)].join(', ')}` : '';
    return stop('restart', null, `${wouldRestart}; approved by ${personName(approved.by)} at ${approved.at}${passed}; restarting`, by);
  }
  if (!policy.autoFix) {
    // Observe-only still tells people: the doctor would have restarted it, and nobody else will.
    // Recording "escalate" (not "restart") means no later stage can act on it by mistake.
    return stop('escalate', 'observe-only', `would restart (${wouldRestart}; severity high, restart-safe); AUTO_FIX=false, so a person must act`, by);
  }
  return stop('restart', null, `${wouldRestart}; severity high and restart-safe, ${restartsLastHour} of ${policy.maxRestartsPerHour} restarts used this hour; restarting`, by);
}

function restartable(diagnosis: Diagnosis): boolean {
  return diagnosis.severity === 'high' && diagnosis.auto_restart_safe;
}

/** The crash-loop finding as a phrase with its numbers, or undefined when there is no loop. */
function detectCrashLoop(input: DecisionInput): string | undefined {
  const { incident, history, policy, now } = input;
  const { evidence, facts } = incident;
  const window = formatDuration(policy.crashLoop.windowMs);
  // One `restarting` status is only Docker's restart delay after a single exit; a loop needs numbers.
  if (evidence.status === 'restarting' && evidence.restartCount >= policy.crashLoop.deaths) {
    return `Docker is restarting it over and over (status restarting, restart count ${evidence.restartCount})`;
  }
  const died = evidence.status !== 'running' && evidence.exitCode !== null;
  const deaths = countWithin(died ? includeTime(history.deaths, evidence.finishedAt) : history.deaths, now, policy.crashLoop.windowMs);
  if (deaths >= policy.crashLoop.deaths) return `died ${deaths} times in ${window}`;
  // Docker's own restarts (policy always/on-failure) that the doctor did not see as deaths.
  const started = parseTime(facts.startedAt);
  if (facts.restartCount >= policy.crashLoop.deaths && started !== null && now - started <= policy.crashLoop.windowMs) {
    return `Docker has restarted it ${facts.restartCount} times, the latest ${formatDuration(Math.max(0, now - started))} ago`;
  }
  return undefined;
}

/**
 * Whether Docker's own restart policy will bring the container back, per the Engine's rules
 * (https://docs.docker.com/engine/containers/start-containers-automatically/): `always` and
 * `unless-stopped` restart any exit; `on-failure[:N]` only a non-zero exit and only while
 * RestartCount < N (N = 0 means no limit); none restarts a container stopped by hand (handled
 * earlier), nor one whose start failed (a `created` container with a start error).
 */
export function dockerWillRestart(facts: ContainerFacts, evidence: Evidence): { readonly will: boolean; readonly why: string } {
  const { name, maximumRetryCount } = facts.restartPolicy;
  if (evidence.status === 'created' && evidence.stateError.trim()) return { will: false, why: 'its start failed, which Docker does not retry' };
  if (name === 'always' || name === 'unless-stopped') return { will: true, why: `restart policy ${name}` };
  // "restarting" is Docker's backoff before an attempt it has already decided on, and counted:
  // on-failure:1 shows RestartCount 1 of 1 while it makes its one retry.
  if (name !== 'no' && evidence.status === 'restarting') return { will: true, why: `restart policy ${name === 'on-failure' && maximumRetryCount > 0 ? `${name}:${maximumRetryCount}` : name} (retry ${evidence.restartCount} under way)` };
  if (name === 'on-failure') {
    if (evidence.exitCode === 0) return { will: false, why: 'restart policy on-failure ignores exit 0' };
    if (maximumRetryCount > 0 && evidence.restartCount >= maximumRetryCount) {
      return { will: false, why: `restart policy on-failure:${maximumRetryCount} has used its retries (${evidence.restartCount}/${maximumRetryCount})` };
    }
    return { will: true, why: `restart policy on-failure${maximumRetryCount > 0 ? `:${maximumRetryCount} (${evidence.restartCount} retries used)` : ''}` };
  }
  return { will: false, why: 'restart policy no' };
}

function dockerPolicyNote(facts: ContainerFacts, evidence: Evidence, now: number): string {
  const docker = dockerWillRestart(facts, evidence);
  const diedAt = parseTime(evidence.finishedAt);
  if (docker.will && diedAt !== null) return `; ${docker.why} has not brought it back in ${formatDuration(Math.max(0, now - diedAt))}`;
  return `; ${docker.why}`;
}

function restartPolicyPending(input: DecisionInput): Verdict | undefined {
  const { incident, policy, now } = input;
  const { facts, evidence, trigger } = incident;
  const docker = dockerWillRestart(facts, evidence);
  if (!docker.will) return undefined;
  const diedAt = parseTime(evidence.finishedAt) ?? parseTime(trigger.at) ?? now;
  if (evidence.status === 'restarting') {
    // Docker is between its own restart attempts right now (its backoff doubles from 100 ms); a
    // restart by the doctor would race the engine whatever MIN_DEAD_TIME says. Repeated attempts
    // are a crash loop, judged earlier.
    return {
      action: 'none',
      guardrail: 'restart-policy-pending',
      reason: `Docker is restarting it (status restarting, restart count ${evidence.restartCount}, ${docker.why}); looking again in ${formatDuration(policy.minDeadTimeMs)}`,
      deferUntil: new Date(Math.max(diedAt, now) + Math.max(policy.minDeadTimeMs, 1_000)).toISOString(),
    };
  }
  const deadFor = Math.max(0, now - diedAt);
  if (deadFor >= policy.minDeadTimeMs) return undefined;
  return {
    action: 'none',
    guardrail: 'restart-policy-pending',
    reason: `${docker.why} may bring it back: died ${formatDuration(deadFor)} ago, waiting until it has been down ${formatDuration(policy.minDeadTimeMs)} (MIN_DEAD_TIME) before acting`,
    deferUntil: new Date(diedAt + policy.minDeadTimeMs).toISOString(),
  };
}
