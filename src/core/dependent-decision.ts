/**
 * What to do with one dependent after the container it depends on restarted (issue 12): the same
 * guardrails as any restart (a person's stop or pause stands, the doctor's own container, the
 * never label, stateful images, MAX_RESTARTS_PER_HOUR, AUTO_FIX), decided from the facts, the
 * story and the history. Pure; the dependents pass gathers and acts.
 */
import { formatDuration } from './format.js';
import { countWithin } from './history.js';
import { recreateCommand, type DependentLink } from './neighbours.js';
import type { RunReading } from './story.js';
import type { ContainerFacts, ContainerHistory, Decision, Diagnosis, Guardrail, Policy } from './types.js';

const HOUR_MS = 60 * 60 * 1000;
/** A dependent started this shortly before the parent's start may still have joined the old run. */
const STARTED_AFTER_SLACK_MS = 500;

export interface DependentInput {
  readonly link: DependentLink;
  /** When the container it follows started its current run (ms). */
  readonly parentStartedAt: number;
  readonly policy: Policy;
  readonly history: ContainerHistory;
  readonly run: RunReading;
  readonly now: number;
}

/** `skip`: nothing to do and nothing worth recording (it already started after the parent). */
export type DependentVerdict = { readonly skip: string } | { readonly decision: Decision };

const decided = (action: Decision['action'], guardrail: Guardrail | null, reason: string): DependentVerdict => ({
  decision: { action, guardrail, reason, executed: false, decidedBy: 'rules' },
});

export function decideDependent(input: DependentInput): DependentVerdict {
  const { link, policy, history, run, now } = input;
  const dep = link.dependent;
  const parent = link.on.name;
  const started = Date.parse(dep.startedAt ?? '');
  if (dep.status === 'paused' || run.pausedSince !== undefined) return decided('none', 'manual-stop', `paused on purpose (docker pause); left alone after ${parent} restarted`);
  if (!dep.running) {
    // Not restarted: a stopped container joins the current namespace (or dependency) when someone starts it.
    return decided('none', dep.exitCode === null ? null : 'manual-stop', `not running (${dep.status}); left as it is: it picks up ${parent} when it is started`);
  }
  if (!Number.isNaN(started) && started >= input.parentStartedAt - STARTED_AFTER_SLACK_MS) return { skip: `started after ${parent} did` };
  if (run.stopping) return decided('none', 'manual-stop', `a person or tool is stopping it (${run.stopping.signal}); leaving it alone`);
  const why = `${link.via}: ${parent} restarted ${formatDuration(Math.max(0, now - input.parentStartedAt))} ago`;
  if (policy.isSelf) return decided('none', 'self', `${why}, but this is the doctor's own container`);
  if (run.ignoredStop) return decided('escalate', 'stop-ignored', `${why}; but a person's or tool's ${run.ignoredStop.signal} ${formatDuration(Math.max(0, now - run.ignoredStop.at))} ago, which it seems to ignore, asked it to stop: a person restarts or stops it`);
  if (policy.restartNever) return decided('escalate', 'label-never', `${why}; labelled doctor.restart=never, so a person restarts it`);
  if (policy.stateful) return decided('escalate', 'stateful-image', `${why}; ${dep.ref.image} is a stateful service, so a person restarts it`);
  const lastHour = countWithin(history.restarts, now, HOUR_MS);
  if (lastHour >= policy.maxRestartsPerHour) {
    return decided('escalate', 'restart-throttle', `${why}; already restarted ${lastHour} time${lastHour === 1 ? '' : 's'} in the last hour (MAX_RESTARTS_PER_HOUR=${policy.maxRestartsPerHour})`);
  }
  if (!policy.autoFix) return decided('escalate', 'observe-only', `${why}; would restart it after ${parent}, but AUTO_FIX=false`);
  return decided('restart', null, `${why}; restarting it after ${parent}`);
}

/** A dependent left in the namespace of a container that was recreated: only recreating it helps. */
export function decideOrphan(dependent: ContainerFacts, parent: ContainerFacts): Decision {
  return {
    action: 'escalate',
    guardrail: 'namespace-gone',
    reason: `it shares the network namespace of the ${parent.ref.name} container it was created with, which was removed and recreated (new id ${parent.ref.id.slice(0, 12)}); a restart cannot join the new one. Run: ${recreateCommand(dependent, parent.ref)}`,
    executed: false,
    decidedBy: 'rules',
  };
}

/** The diagnosis a dependent's record carries: why its neighbour's restart concerns it. */
export function dependentDiagnosis(link: DependentLink | { readonly dependent: ContainerFacts; readonly orphanOf: ContainerFacts }): Diagnosis {
  if ('orphanOf' in link) {
    const command = recreateCommand(link.dependent, link.orphanOf.ref);
    return {
      root_cause: `${link.dependent.ref.name} still runs in the network namespace of a ${link.orphanOf.ref.name} container that no longer exists (it was recreated with a new id): it has no working network.`,
      severity: 'high',
      suggested_fix: `Recreate it so it joins the new ${link.orphanOf.ref.name}: ${command}`,
      auto_restart_safe: false,
      config_suggestions: ['Recreate network_mode: service:x dependents together with x (docker compose up -d recreates them when x changes).'],
      likely_recurring: false,
      estimated_impact: `${link.dependent.ref.name} cannot reach or be reached over the network.`,
      source: 'rules', rule: 'namespace-gone', failureClass: 'environment', recognised: true,
    };
  }
  const namespace = link.kind === 'network-namespace';
  return {
    root_cause: namespace
      ? `${link.dependent.ref.name} shares the network namespace of ${link.on.name} (${link.via}), which restarted: it keeps running in the old namespace, cut off from the network, until it restarts too.`
      : `${link.dependent.ref.name} is declared with ${link.via}, and ${link.on.name} restarted: the compose file asks for it to be restarted after.`,
    severity: 'high',
    suggested_fix: `Restart ${link.dependent.ref.name} after ${link.on.name}.`,
    auto_restart_safe: true,
    config_suggestions: [],
    likely_recurring: false,
    estimated_impact: namespace ? `${link.dependent.ref.name} has no working network until restarted.` : `${link.dependent.ref.name} may hold connections to the old ${link.on.name}.`,
    source: 'rules', rule: 'neighbour-restarted', failureClass: 'dependency', recognised: true,
  };
}
