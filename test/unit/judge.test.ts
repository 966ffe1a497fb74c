import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerWillRestart } from '../../src/core/decide.js';
import { judgeIncident, readStoryView, type JudgeInput } from '../../src/core/judge.js';
import { diagnoseByRules } from '../../src/core/rules/index.js';
import { appendStep, emptyStory, type ContainerStory, type StoryStep } from '../../src/core/story.js';
import type { Action, ContainerFacts, ContainerHistory, Diagnosis, Evidence, Guardrail, Policy, RulesVerdict, Trigger } from '../../src/core/types.js';
import { HOUR, MIN, NOW, SEC, ago, makeEvidence, makeFacts, makeHistory, makePolicy, makeRunningFacts, makeTrigger, makeVerdict } from '../helpers/facts.js';

interface Row {
  readonly name: string;
  readonly facts?: ContainerFacts;
  readonly evidence?: Partial<Evidence>;
  readonly trigger?: Trigger;
  readonly history?: ContainerHistory;
  readonly policy?: Partial<Policy>;
  /** Defaults to what the real catalog says about the facts and evidence. */
  readonly rules?: RulesVerdict;
  readonly ai?: Partial<Diagnosis>;
  /**
   * The container's story, oldest first. Default: started at StartedAt and, for an exit, a die
   * at the exit time with nothing before it (a crash the doctor saw).
   */
  readonly steps?: readonly StoryStep[];
  readonly job?: string;
  readonly manual?: boolean;
  readonly expect: {
    readonly action: Action;
    readonly guardrail: Guardrail | null;
    readonly decidedBy?: 'rules' | 'claude';
    readonly deferUntil?: string;
    /** Fragments the reason must contain: the numbers it was decided on. */
    readonly says?: readonly string[];
    /** Fragments it must not contain. */
    readonly saysNot?: readonly string[];
  };
}

const aiSays = (d: Partial<Diagnosis>): Diagnosis => ({
  root_cause: 'claude says', severity: 'high', suggested_fix: 'x', auto_restart_safe: true, config_suggestions: [],
  likely_recurring: false, estimated_impact: 'x', source: 'claude', model: 'claude-test', ...d,
});
const exit1 = makeFacts({ exitCode: 1 });
const oom = makeFacts({ exitCode: 137, oomKilled: true, memoryLimit: 256 * 1024 * 1024 });
const probe = (agoMs: number, exitCode: number) => ({ start: ago(agoMs), end: ago(agoMs - 50), exitCode });
const unhealthy = makeRunningFacts({ health: { status: 'unhealthy', failingStreak: 3, lastOutput: 'HTTP 503', probes: [probe(25 * SEC, 1), probe(15 * SEC, 1), probe(5 * SEC, 1)] } });
const diskFull = { matchedLines: ['write /data/wal: no space left on device'], logTail: ['write /data/wal: no space left on device'] };
const restarts = (...agoMs: number[]) => agoMs.map((ms) => ago(ms));

const start = (agoMs: number): StoryStep => ({ at: NOW - agoMs, kind: 'start' });
const kill = (agoMs: number, signal: string, by: 'person' | 'doctor' = 'person'): StoryStep => ({ at: NOW - agoMs, kind: 'kill', signal, by });
const die = (agoMs: number, exitCode: number): StoryStep => ({ at: NOW - agoMs, kind: 'die', exitCode });
const exitAt = (facts: ContainerFacts) => Date.parse(facts.finishedAt ?? '') - NOW;

const rows: Row[] = [
  // States where there is nothing to restart.
  { name: "the doctor's own container is never restarted", facts: exit1, policy: { isSelf: true }, expect: { action: 'none', guardrail: 'self' } },
  {
    name: 'stopped by a person (kill/stop before die) is left alone',
    facts: makeFacts({ exitCode: 137 }),
    steps: [start(10 * MIN), kill(6 * SEC, 'SIGKILL'), die(0, 137)],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['code 137', 'SIGKILL'] },
  },
  {
    name: 'docker restart by a person: the die after its kill is theirs, and the container is back',
    facts: makeRunningFacts({ exitCode: 143, startedAt: ago(SEC) }),
    trigger: makeTrigger('die', ago(2 * SEC)),
    steps: [start(HOUR), kill(3 * SEC, 'SIGTERM'), die(2 * SEC, 143), { at: NOW - 2 * SEC + 5, kind: 'stop' }, start(SEC), { at: NOW - SEC + 5, kind: 'restart' }],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['running again'] },
  },
  {
    name: 'Ctrl-C ended an interactive docker run -it --rm session: a person, nothing to report',
    facts: makeFacts({ exitCode: 130, tty: true, openStdin: true, autoRemove: true }),
    job: 'auto-remove',
    expect: { action: 'none', guardrail: 'manual-stop', says: ['Ctrl-C'] },
  },
  {
    name: 'exit 130 without a terminal is no one in particular: a person is told',
    facts: makeFacts({ exitCode: 130 }),
    expect: { action: 'escalate', guardrail: 'not-safe' },
  },
  {
    name: 'auto-removed right after a failed exit: nothing to restart, a person is told',
    facts: makeFacts({ status: 'removing', exitCode: 1, autoRemove: true }),
    expect: { action: 'escalate', guardrail: 'removed', says: ['code 1', '--rm'] },
  },
  {
    name: 'a person\'s docker rm -f (a SIGKILL, then it is gone): theirs, and never said to stay stopped',
    facts: makeFacts({ status: 'removing', exitCode: 137 }),
    trigger: makeTrigger('die'),
    steps: [start(10 * MIN), kill(1, 'SIGKILL'), die(0, 137)],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['removed by a person', 'SIGKILL'], saysNot: ['stays stopped'] },
  },
  {
    name: 'auto-removed after exit 0: a finished job',
    facts: makeFacts({ status: 'removing', exitCode: 0 }),
    expect: { action: 'none', guardrail: 'completed' },
  },
  { name: 'a paused container is left alone', facts: makeRunningFacts({ status: 'paused', running: false }), trigger: makeTrigger('manual'), expect: { action: 'none', guardrail: 'manual-stop' } },
  { name: 'exit 0 is a completed job', facts: makeFacts({ exitCode: 0, restartPolicy: { name: 'on-failure' } }), expect: { action: 'none', guardrail: 'completed', says: ['code 0'] } },
  {
    name: 'an exit found at start-up hours after it happened is stale',
    facts: makeFacts({ exitCode: 1, finishedAt: ago(3 * HOUR), startedAt: ago(4 * HOUR) }),
    trigger: makeTrigger('exited'),
    expect: { action: 'none', guardrail: 'stale-exit', says: ['3 h ago'] },
  },
  {
    name: 'an exit found at start-up minutes after it happened is acted on',
    facts: makeFacts({ exitCode: 1, finishedAt: ago(4 * MIN) }),
    trigger: makeTrigger('exited'),
    expect: { action: 'restart', guardrail: null },
  },
  // Who did what: the story decides before any diagnosis.
  {
    name: 'a stop whose drain took 60 s is still a person\'s stop',
    facts: makeFacts({ exitCode: 143, startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(60 * SEC, 'SIGTERM'), die(0, 143)],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['SIGTERM', '1 min'] },
  },
  {
    name: 'docker kill -s HUP is a reload, not a stop: a crash after it is judged as a crash',
    facts: makeFacts({ exitCode: 1, startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(10 * SEC, 'SIGHUP'), die(0, 1)],
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: "the container's own StopSignal (httpd's SIGWINCH) from a person is a stop",
    facts: makeFacts({ exitCode: 0, stopSignal: 'SIGWINCH', startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(2 * SEC, 'SIGWINCH'), die(0, 0)],
    expect: { action: 'none', guardrail: 'manual-stop' },
  },
  {
    name: 'unhealthy while a person is stopping it (draining, within the 10 s stop timeout and slack): left alone',
    facts: unhealthy,
    trigger: makeTrigger('unhealthy'),
    steps: [start(HOUR), kill(8 * SEC, 'SIGTERM')],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['draining'] },
  },
  {
    name: 'unhealthy 20 s after a person\'s SIGTERM with compose stop_grace_period 60 s: still draining',
    facts: { ...unhealthy, stopTimeoutSeconds: 60 },
    trigger: makeTrigger('unhealthy'),
    steps: [start(HOUR), kill(20 * SEC, 'SIGTERM')],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['draining'] },
  },
  // docker kill -s TERM to a PID 1 without a handler: it keeps running (Docker sends only the signal).
  {
    name: 'unhealthy and still running past the drain bound after a person\'s SIGTERM: escalated, not left alone forever',
    facts: unhealthy,
    trigger: makeTrigger('unhealthy'),
    steps: [start(HOUR), kill(20 * SEC, 'SIGTERM')],
    expect: { action: 'escalate', guardrail: 'stop-ignored', says: ['SIGTERM', 'seems to ignore', '20 s'] },
  },
  {
    name: 'unhealthy 2 h after a person\'s SIGTERM it ignored: the old signal no longer counts, judged as usual',
    facts: { ...unhealthy, startedAt: ago(3 * HOUR) },
    trigger: makeTrigger('unhealthy'),
    steps: [start(3 * HOUR), kill(2 * HOUR, 'SIGTERM')],
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'died (exit 1) within the drain bound of a person\'s SIGTERM: their stop',
    facts: makeFacts({ exitCode: 1, startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(5 * SEC, 'SIGTERM'), die(0, 1)],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['SIGTERM'] },
  },
  {
    name: 'died (exit 1) 3 min after a person\'s SIGTERM it ignored: escalated, not a silent stop on purpose, not restarted',
    facts: makeFacts({ exitCode: 1, startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(3 * MIN, 'SIGTERM'), die(0, 1)],
    expect: { action: 'escalate', guardrail: 'stop-ignored', says: ['exit code 1', '3 min after', 'SIGTERM', 'seemed to ignore', 'start it by hand'] },
  },
  {
    name: 'found exited (exit 1) by reconcile, 3 min after a person\'s SIGTERM it ignored: escalated',
    facts: makeFacts({ exitCode: 1, startedAt: ago(HOUR), finishedAt: ago(MIN) }),
    trigger: makeTrigger('exited'),
    steps: [start(HOUR), kill(4 * MIN, 'SIGTERM'), die(MIN, 1)],
    expect: { action: 'escalate', guardrail: 'stop-ignored', says: ['SIGTERM'] },
  },
  {
    name: 'exit 137 (an OOM kill, say) 3 min after a person\'s SIGTERM: not what TERM produces, escalated',
    facts: makeFacts({ exitCode: 137, startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(3 * MIN, 'SIGTERM'), die(0, 137)],
    expect: { action: 'escalate', guardrail: 'stop-ignored' },
  },
  {
    name: 'exit 143 3 min after a person\'s SIGTERM: what TERM produces, their stop however long the drain',
    facts: makeFacts({ exitCode: 143, startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(3 * MIN, 'SIGTERM'), die(0, 143)],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['SIGTERM', '3 min'] },
  },
  {
    name: 'exit 0 3 min after a person\'s SIGTERM: a clean shutdown, their stop',
    facts: makeFacts({ exitCode: 0, startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(3 * MIN, 'SIGTERM'), die(0, 0)],
    expect: { action: 'none', guardrail: 'manual-stop' },
  },
  {
    name: 'a person\'s SIGTERM ignored, then their SIGKILL: their stop',
    facts: makeFacts({ exitCode: 137, startedAt: ago(HOUR), finishedAt: ago(0) }),
    steps: [start(HOUR), kill(3 * MIN, 'SIGTERM'), kill(10, 'SIGKILL'), die(0, 137)],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['SIGKILL'] },
  },
  {
    name: 'docker stop -t 300 (exit 1 after 3 min): the stop event after the die makes it the person\'s',
    facts: makeFacts({ exitCode: 1, startedAt: ago(HOUR), finishedAt: ago(SEC) }),
    trigger: makeTrigger('die', ago(SEC)),
    steps: [start(HOUR), kill(3 * MIN, 'SIGTERM'), die(SEC, 1), { at: NOW - SEC + 20, kind: 'stop', by: 'person' }],
    expect: { action: 'none', guardrail: 'manual-stop', says: ['SIGTERM'] },
  },
  {
    name: 'the doctor.stop-timeout label sets the drain bound: exit 1 3 min after SIGTERM with 300 s is their stop',
    facts: makeFacts({ exitCode: 1, startedAt: ago(HOUR), finishedAt: ago(0), labels: { 'doctor.stop-timeout': '300' } }),
    steps: [start(HOUR), kill(3 * MIN, 'SIGTERM'), die(0, 1)],
    expect: { action: 'none', guardrail: 'manual-stop' },
  },
  {
    name: 'died (exit 1) 2 h after a person\'s SIGTERM: the stale signal no longer counts, a crash is restarted',
    facts: makeFacts({ exitCode: 1, startedAt: ago(3 * HOUR), finishedAt: ago(0) }),
    steps: [start(3 * HOUR), kill(2 * HOUR, 'SIGTERM'), die(0, 1)],
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'a SIGUSR1 log rotation does not make an unhealthy container a person\'s',
    facts: unhealthy,
    trigger: makeTrigger('unhealthy'),
    steps: [start(HOUR), kill(20 * SEC, 'SIGUSR1')],
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'found dead at start-up after a person stopped it minutes ago: stays stopped',
    facts: makeFacts({ exitCode: 137, startedAt: ago(HOUR), finishedAt: ago(5 * MIN) }),
    trigger: makeTrigger('exited'),
    steps: [start(HOUR), kill(5 * MIN + 10 * SEC, 'SIGTERM'), kill(5 * MIN, 'SIGKILL'), die(5 * MIN, 137)],
    expect: { action: 'none', guardrail: 'manual-stop' },
  },
  {
    name: 'found dead minutes ago with no events left to tell who stopped it: a person decides',
    facts: makeFacts({ exitCode: 1, startedAt: ago(HOUR), finishedAt: ago(3 * MIN) }),
    trigger: makeTrigger('exited'),
    steps: [],
    expect: { action: 'escalate', guardrail: 'unknown-stop', says: ['3 min ago'] },
  },
  {
    name: 'found dead months ago with no story: reported, never restarted',
    facts: makeFacts({ exitCode: 1, startedAt: ago(100 * 24 * HOUR), finishedAt: ago(90 * 24 * HOUR) }),
    trigger: makeTrigger('exited'),
    steps: [],
    expect: { action: 'none', guardrail: 'stale-exit' },
  },
  {
    name: 'found dead after a crash the replay saw 20 minutes ago: older than FRESH_EXIT_WINDOW, not restarted',
    facts: makeFacts({ exitCode: 1, startedAt: ago(HOUR), finishedAt: ago(20 * MIN) }),
    trigger: makeTrigger('exited'),
    expect: { action: 'none', guardrail: 'stale-exit', says: ['FRESH_EXIT_WINDOW'] },
  },
  {
    name: 'exit 0 is a finished job even when Docker still says OOMKilled (a child was killed)',
    facts: makeFacts({ exitCode: 0, oomKilled: true }),
    expect: { action: 'none', guardrail: 'completed', says: ['OOMKilled'] },
  },
  {
    name: 'unhealthy only from probes that ran while it was paused: not an incident',
    facts: makeRunningFacts({ startedAt: ago(HOUR), health: { status: 'unhealthy', failingStreak: 3, lastOutput: 'container is paused', probes: [probe(50 * SEC, -1), probe(40 * SEC, -1)] } }),
    trigger: makeTrigger('unhealthy'),
    steps: [start(HOUR), { at: NOW - 60 * SEC, kind: 'pause' }, { at: NOW - 2 * SEC, kind: 'unpause' }],
    expect: { action: 'none', guardrail: null },
  },
  {
    name: 'unhealthy from as many failing probes in a row after the unpause as its retries is real',
    facts: makeRunningFacts({ startedAt: ago(HOUR), health: { status: 'unhealthy', failingStreak: 6, lastOutput: 'HTTP 500', probes: [probe(40 * SEC, -1), probe(3 * SEC, 1), probe(2 * SEC, 1), probe(SEC, 1)] } }),
    trigger: makeTrigger('unhealthy'),
    steps: [start(HOUR), { at: NOW - 60 * SEC, kind: 'pause' }, { at: NOW - 4 * SEC, kind: 'unpause' }],
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'one failing probe after an unpause is no verdict: Docker kept the paused container\'s unhealthy, its check takes 3 in a row',
    facts: makeRunningFacts({ startedAt: ago(HOUR), health: { status: 'unhealthy', failingStreak: 4, lastOutput: 'HTTP 500', probes: [probe(40 * SEC, -1), probe(SEC, 1)] } }),
    trigger: makeTrigger('unhealthy'),
    steps: [start(HOUR), { at: NOW - 60 * SEC, kind: 'pause' }, { at: NOW - 2 * SEC, kind: 'unpause' }],
    expect: { action: 'none', guardrail: null },
  },
  {
    name: 'one failing probe after an unpause is a verdict when the check takes one (retries 1)',
    facts: makeRunningFacts({ startedAt: ago(HOUR), health: { status: 'unhealthy', failingStreak: 4, lastOutput: 'HTTP 500', probes: [probe(40 * SEC, -1), probe(SEC, 1)], retries: 1 } }),
    trigger: makeTrigger('unhealthy'),
    steps: [start(HOUR), { at: NOW - 60 * SEC, kind: 'pause' }, { at: NOW - 2 * SEC, kind: 'unpause' }],
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'an auto-removed (--rm) container is never restarted, even running and unhealthy',
    facts: { ...unhealthy, autoRemove: true },
    trigger: makeTrigger('unhealthy'),
    expect: { action: 'escalate', guardrail: 'removed' },
  },
  {
    name: 'a failed job container is reported, never re-run',
    facts: exit1,
    job: 'a one-off container (docker compose run)',
    expect: { action: 'escalate', guardrail: 'job', says: ['docker compose run'] },
  },
  {
    name: "the die of the doctor's own restart is not an incident",
    facts: makeRunningFacts({ startedAt: ago(SEC) }),
    trigger: makeTrigger('die', ago(2 * SEC)),
    steps: [start(HOUR), { at: NOW - 3 * SEC, kind: 'doctor-restart', incidentId: 'inc-1', occurrence: 1, dies: 1, until: NOW + 40 * SEC }, kill(3 * SEC - 10, 'SIGTERM'), die(2 * SEC, 143), start(SEC), { at: NOW - SEC + 10, kind: 'doctor-restart-done', ok: true }],
    expect: { action: 'none', guardrail: null },
  },
  {
    name: "found down after the doctor's own restart (a doctor killed mid-restart): escalated, not left silent",
    facts: makeFacts({ exitCode: 137, startedAt: ago(HOUR), finishedAt: ago(30 * SEC) }),
    trigger: makeTrigger('exited'),
    steps: [start(HOUR), { at: NOW - 31 * SEC, kind: 'doctor-restart', incidentId: 'inc-1', occurrence: 1, dies: 1, until: NOW + 10 * SEC }, kill(31 * SEC - 10, 'SIGTERM'), kill(31 * SEC - 5, 'SIGKILL'), die(30 * SEC, 137)],
    expect: { action: 'escalate', guardrail: 'restart-did-not-help' },
  },
  {
    name: 'after a restart that did not help, no more restarts until a person acts',
    facts: exit1,
    history: makeHistory({ attemptsEnded: { at: ago(4 * MIN), incidentId: 'inc-1' } }),
    expect: { action: 'escalate', guardrail: 'restart-did-not-help' },
  },
  {
    name: 'a person starting it after the doctor gave up lets the doctor act again',
    facts: makeFacts({ exitCode: 1, startedAt: ago(2 * MIN), finishedAt: ago(0) }),
    history: makeHistory({ attemptsEnded: { at: ago(4 * MIN), incidentId: 'inc-1' } }),
    steps: [die(5 * MIN, 1), start(2 * MIN), die(0, 1)],
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'diagnose --fix on a container a person stopped does not restart it',
    facts: makeFacts({ exitCode: 137, startedAt: ago(HOUR), finishedAt: ago(3 * HOUR / 60) }),
    trigger: makeTrigger('manual'),
    steps: [start(HOUR), kill(3 * MIN + SEC, 'SIGKILL'), die(3 * MIN, 137)],
    expect: { action: 'none', guardrail: 'manual-stop' },
  },
  // Crash loops.
  {
    name: 'third death in 10 minutes is a crash loop: escalate, never restart',
    facts: exit1,
    history: makeHistory({ deaths: restarts(8 * MIN, 3 * MIN) }),
    expect: { action: 'escalate', guardrail: 'crash-loop', says: ['died 3 times in 10 min', 'crash loop', 'restarting would make it worse'] },
  },
  {
    name: 'the current death already recorded by the caller is not counted twice',
    facts: exit1,
    history: makeHistory({ deaths: [ago(8 * MIN), new Date(Date.parse(exit1.finishedAt!) + 3).toISOString()] }),
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'two deaths in 10 minutes (and a third long ago) is not a crash loop',
    facts: exit1,
    history: makeHistory({ deaths: restarts(40 * MIN, 6 * MIN) }),
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'Docker status restarting is a crash loop',
    facts: makeFacts({ status: 'restarting', exitCode: 1, restartCount: 9, restartPolicy: { name: 'always' } }),
    expect: { action: 'escalate', guardrail: 'crash-loop', says: ['restart count 9'] },
  },
  {
    name: "Docker's high restart count with a recent start is a crash loop",
    facts: makeFacts({ exitCode: 1, restartCount: 4, startedAt: ago(2 * MIN), restartPolicy: { name: 'on-failure', maximumRetryCount: 4 } }),
    expect: { action: 'escalate', guardrail: 'crash-loop', says: ['restarted it 4 times'] },
  },
  {
    name: 'an unhealthy container that is crash-looping is escalated, not restarted',
    facts: { ...unhealthy, startedAt: ago(MIN) },
    trigger: makeTrigger('unhealthy'),
    history: makeHistory({ deaths: restarts(9 * MIN, 5 * MIN, 2 * MIN) }),
    expect: { action: 'escalate', guardrail: 'crash-loop', says: ['died 3 times'] },
  },
  // Running containers.
  {
    name: 'a running unhealthy container is restarted',
    facts: unhealthy,
    trigger: makeTrigger('unhealthy'),
    expect: { action: 'restart', guardrail: null, decidedBy: 'rules', says: ['unhealthy', '3 failed probes'] },
  },
  {
    name: 'a running, healthy container logging high-severity errors is escalated, not restarted',
    facts: makeRunningFacts({ health: { status: 'healthy' } }),
    trigger: makeTrigger('log-pattern'),
    evidence: diskFull,
    expect: { action: 'escalate', guardrail: 'still-running', says: ['disk-full'] },
  },
  {
    name: 'a running container logging medium-severity errors is only recorded',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: { matchedLines: ['ERROR failed to send email'], logTail: ['ERROR failed to send email'] },
    expect: { action: 'none', guardrail: 'still-running', says: ['severity medium'] },
  },
  // What the diagnosis says.
  { name: 'disk full: a restart cannot fix it', facts: exit1, evidence: diskFull, expect: { action: 'escalate', guardrail: 'restart-cannot-fix', says: ['disk-full'] } },
  {
    name: 'missing configuration: a restart cannot fix it',
    facts: exit1,
    evidence: { matchedLines: ["KeyError: 'SECRET_KEY'"], logTail: ["KeyError: 'SECRET_KEY'"] },
    expect: { action: 'escalate', guardrail: 'restart-cannot-fix', says: ['missing-config'] },
  },
  { name: 'first OOM kill is restarted', facts: oom, expect: { action: 'restart', guardrail: null, says: ['oom-kill', 'exit code 137'] } },
  {
    name: 'third OOM kill in 24 h is a leak: escalate',
    facts: oom,
    history: makeHistory({ ooms: restarts(20 * HOUR, 2 * HOUR) }),
    rules: makeVerdict({ rule: 'oom-kill', safe: true }),
    expect: { action: 'escalate', guardrail: 'oom-recurring', says: ['3rd OOM kill in 24 h', 'limit 3'] },
  },
  {
    name: 'OOM kills older than 24 h do not count',
    facts: oom,
    history: makeHistory({ ooms: restarts(30 * HOUR, 26 * HOUR) }),
    expect: { action: 'restart', guardrail: null },
  },
  {
    name: 'SIGTERM without a stop seen: medium and not restart-safe -> escalate',
    facts: makeFacts({ exitCode: 143 }),
    expect: { action: 'escalate', guardrail: 'not-safe', decidedBy: 'rules', says: ['severity medium'] },
  },
  {
    name: 'a low-severity verdict that is not restart-safe is only recorded',
    facts: exit1,
    rules: makeVerdict({ severity: 'low', safe: false }),
    expect: { action: 'none', guardrail: 'not-safe', says: ['severity low'] },
  },
  { name: 'high severity but not restart-safe -> escalate', facts: exit1, rules: makeVerdict({ safe: false }), expect: { action: 'escalate', guardrail: 'not-safe' } },
  // Limits on a restart the diagnosis allows.
  {
    name: 'MAX_RESTARTS_PER_HOUR used up: stop and escalate',
    facts: exit1,
    history: makeHistory({ restarts: restarts(50 * MIN, 30 * MIN, 15 * MIN) }),
    expect: { action: 'escalate', guardrail: 'restart-throttle', says: ['3 times in the last hour', 'MAX_RESTARTS_PER_HOUR=3'] },
  },
  {
    name: 'restarts older than an hour do not count against the limit',
    facts: exit1,
    history: makeHistory({ restarts: restarts(70 * MIN, 30 * MIN, 15 * MIN) }),
    expect: { action: 'restart', guardrail: null, says: ['2 of 3 restarts'] },
  },
  { name: 'MAX_RESTARTS_PER_HOUR=0 forbids every restart', facts: exit1, policy: { maxRestartsPerHour: 0 }, expect: { action: 'escalate', guardrail: 'restart-throttle' } },
  { name: 'doctor.restart=never escalates', facts: exit1, policy: { restartNever: true }, expect: { action: 'escalate', guardrail: 'label-never', says: ['doctor.restart=never'] } },
  {
    name: 'a stateful image escalates',
    facts: makeFacts({ exitCode: 1, ref: { image: 'postgres:16' } }),
    policy: { stateful: true },
    expect: { action: 'escalate', guardrail: 'stateful-image', says: ['postgres:16'] },
  },
  // Docker's own restart policy.
  {
    name: 'restart policy always, died 5 s ago: wait for MIN_DEAD_TIME',
    facts: makeFacts({ exitCode: 1, restartPolicy: { name: 'always' } }),
    expect: { action: 'none', guardrail: 'restart-policy-pending', deferUntil: new Date(NOW - 5 * SEC + 60 * SEC).toISOString(), says: ['restart policy always', '5 s ago', 'down 1 min (MIN_DEAD_TIME)'] },
  },
  {
    name: 'restart policy unless-stopped, died 20 s ago: wait',
    facts: makeFacts({ exitCode: 1, finishedAt: ago(20 * SEC), restartPolicy: { name: 'unless-stopped' } }),
    expect: { action: 'none', guardrail: 'restart-policy-pending', deferUntil: new Date(NOW + 40 * SEC).toISOString() },
  },
  {
    name: 'restart policy always, still dead after MIN_DEAD_TIME: Docker did not bring it back, restart',
    facts: makeFacts({ exitCode: 1, finishedAt: ago(90 * SEC), restartPolicy: { name: 'always' } }),
    expect: { action: 'restart', guardrail: null, says: ['has not brought it back in 1 min 30 s'] },
  },
  {
    name: 'status restarting (Docker between attempts), past MIN_DEAD_TIME: never race the engine, look again',
    facts: makeFacts({ status: 'restarting', exitCode: 1, restartCount: 2, finishedAt: ago(90 * SEC), restartPolicy: { name: 'always' } }),
    expect: { action: 'none', guardrail: 'restart-policy-pending', deferUntil: new Date(NOW + 60 * SEC).toISOString(), says: ['status restarting', 'restart count 2'] },
  },
  {
    name: 'on-failure with retries left: wait',
    facts: makeFacts({ exitCode: 1, restartCount: 2, restartPolicy: { name: 'on-failure', maximumRetryCount: 5 } }),
    expect: { action: 'none', guardrail: 'restart-policy-pending', says: ['on-failure:5 (2 retries used)'] },
  },
  {
    name: 'on-failure:0 means unlimited retries: wait',
    facts: makeFacts({ exitCode: 1, restartCount: 2, restartPolicy: { name: 'on-failure', maximumRetryCount: 0 } }),
    expect: { action: 'none', guardrail: 'restart-policy-pending' },
  },
  {
    name: 'on-failure with its retries used up: act at once',
    facts: makeFacts({ exitCode: 1, restartCount: 2, restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } }),
    expect: { action: 'restart', guardrail: null, says: ['used its retries (2/2)'] },
  },
  { name: 'restart policy no: act at once', facts: exit1, expect: { action: 'restart', guardrail: null, decidedBy: 'rules', says: ['restart policy no', '0 of 3 restarts'] } },
  {
    name: 'MIN_DEAD_TIME 0 never waits',
    facts: makeFacts({ exitCode: 1, restartPolicy: { name: 'always' } }),
    policy: { minDeadTimeMs: 0 },
    expect: { action: 'restart', guardrail: null },
  },
  // AUTO_FIX=false.
  {
    name: 'observe-only: decided and recorded as an escalation that names the restart it would have made',
    facts: exit1,
    policy: { autoFix: false },
    expect: { action: 'escalate', guardrail: 'observe-only', says: ['would restart', 'AUTO_FIX=false'] },
  },
  {
    name: 'observe-only does not hide a guardrail that applies first',
    facts: exit1,
    evidence: diskFull,
    policy: { autoFix: false },
    expect: { action: 'escalate', guardrail: 'restart-cannot-fix' },
  },
  { name: 'a dead container cannot be restarted', facts: makeFacts({ status: 'dead', exitCode: 1 }), expect: { action: 'escalate', guardrail: 'restart-cannot-fix', says: ['dead'] } },
  // Claude can veto, never permit.
  {
    name: 'AI says restart on a crash loop: still escalate',
    facts: exit1,
    history: makeHistory({ deaths: restarts(7 * MIN, 2 * MIN) }),
    ai: { severity: 'high', auto_restart_safe: true },
    expect: { action: 'escalate', guardrail: 'crash-loop', decidedBy: 'rules' },
  },
  {
    name: "AI says severity 'low' on a restartable failure: no restart",
    facts: exit1,
    ai: { severity: 'low', auto_restart_safe: true },
    expect: { action: 'escalate', guardrail: 'not-safe', decidedBy: 'claude', says: ['Claude rates it severity low'] },
  },
  {
    name: 'AI says not restart-safe: no restart',
    facts: oom,
    ai: { severity: 'high', auto_restart_safe: false },
    expect: { action: 'escalate', guardrail: 'not-safe', decidedBy: 'claude' },
  },
  {
    name: 'AI says restart-safe on disk full: escalate',
    facts: exit1,
    evidence: diskFull,
    ai: { severity: 'high', auto_restart_safe: true },
    expect: { action: 'escalate', guardrail: 'restart-cannot-fix', decidedBy: 'rules' },
  },
  {
    name: 'AI says restart-safe where the rules say not safe: still no restart',
    facts: makeFacts({ exitCode: 143 }),
    ai: { severity: 'high', auto_restart_safe: true },
    expect: { action: 'escalate', guardrail: 'not-safe', decidedBy: 'rules' },
  },
  {
    name: 'AI agrees with a restart: restart, decided by Claude',
    facts: exit1,
    ai: { severity: 'high', auto_restart_safe: true },
    expect: { action: 'restart', guardrail: null, decidedBy: 'claude' },
  },
  {
    name: 'AI raises a running container to high severity: escalate',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: { matchedLines: ['ERROR ledger mismatch 42'], logTail: ['ERROR ledger mismatch 42'] },
    ai: { severity: 'high', auto_restart_safe: false },
    expect: { action: 'escalate', guardrail: 'still-running', decidedBy: 'claude' },
  },
];

/** The story a row gives, or the default: started, and for an exit a die the doctor saw. */
function storyFor(row: Row, facts: ContainerFacts, trigger: Trigger): ContainerStory {
  let steps = row.steps;
  if (steps === undefined) {
    const started = Date.parse(facts.startedAt ?? '');
    const isExit = trigger.kind === 'die' || trigger.kind === 'exited' || trigger.kind === 'restarting' || !facts.running;
    const diedAt = trigger.kind === 'die' ? Date.parse(trigger.at) : NOW + exitAt(facts);
    steps = [
      ...(Number.isNaN(started) ? [] : [{ at: started, kind: 'start' } as StoryStep]),
      ...(isExit && !Number.isNaN(diedAt) ? [{ at: diedAt, kind: 'die', exitCode: facts.exitCode ?? undefined } as StoryStep] : []),
    ];
  }
  return steps.reduce((story, step) => appendStep(story, step, NOW), emptyStory(facts.ref.id, facts.ref.host, facts.ref.name));
}

function inputFor(row: Row): JudgeInput {
  const facts = row.facts ?? exit1;
  const evidence = makeEvidence(facts, row.evidence);
  const trigger = row.trigger ?? makeTrigger('die', facts.running ? ago(0) : facts.finishedAt ?? ago(0));
  const history = row.history ?? makeHistory();
  const rules = row.rules ?? diagnoseByRules({ facts, evidence, trigger, history, now: NOW });
  return {
    trigger,
    facts,
    evidence,
    rules,
    ...(row.ai ? { ai: aiSays(row.ai) } : {}),
    history,
    policy: makePolicy(row.policy),
    story: readStoryView(storyFor(row, facts, trigger), facts, trigger, history, NOW),
    manual: row.manual ?? trigger.kind === 'manual',
    ...(row.job ? { job: row.job } : {}),
    now: NOW,
  };
}

const decide = (input: JudgeInput) => judgeIncident(input).decision;

describe('judgeIncident', () => {
  for (const row of rows) {
    test(row.name, () => {
      const decision = decide(inputFor(row));
      assert.deepEqual(
        { action: decision.action, guardrail: decision.guardrail },
        { action: row.expect.action, guardrail: row.expect.guardrail },
        decision.reason,
      );
      assert.equal(decision.executed, false);
      assert.ok(decision.reason.length > 10);
      if (row.expect.decidedBy) assert.equal(decision.decidedBy, row.expect.decidedBy);
      assert.equal(decision.deferUntil, row.expect.deferUntil ?? (decision.guardrail === 'restart-policy-pending' ? decision.deferUntil : undefined));
      if (decision.guardrail === 'restart-policy-pending') assert.ok(decision.deferUntil && Date.parse(decision.deferUntil) > NOW);
      for (const fragment of row.expect.says ?? []) {
        assert.ok(decision.reason.includes(fragment), `reason should contain ${JSON.stringify(fragment)}: ${decision.reason}`);
      }
      for (const fragment of row.expect.saysNot ?? []) assert.ok(!decision.reason.includes(fragment), `reason should not say ${JSON.stringify(fragment)}: ${decision.reason}`);
    });
  }

  test('the AI never turns a no-restart into a restart, whatever it says', () => {
    for (const row of rows.filter((r) => r.expect.action !== 'restart' && !r.ai)) {
      for (const ai of [aiSays({ severity: 'high', auto_restart_safe: true }), aiSays({ severity: 'low', auto_restart_safe: true })]) {
        const decision = decide({ ...inputFor(row), ai });
        assert.notEqual(decision.action, 'restart', `${row.name}: ${decision.reason}`);
      }
    }
  });

  test('a repeat is the same action for the same reason; a crash loop behind an earlier escalation is recorded', () => {
    const input = inputFor({ name: 'loop', facts: exit1, history: makeHistory({ deaths: restarts(8 * MIN, 3 * MIN) }), expect: { action: 'escalate', guardrail: 'crash-loop' } });
    const open = { signature: 's', incidentId: 'inc-1', firstSeen: ago(9 * MIN), lastSeen: ago(3 * MIN), count: 2, lastAction: 'escalate' as const };
    assert.equal(judgeIncident({ ...input, open: { ...open, lastGuardrail: 'not-safe' } }).repeat, undefined);
    assert.equal(judgeIncident({ ...input, open: { ...open, lastGuardrail: 'crash-loop' } }).repeat?.incidentId, 'inc-1');
    assert.equal(judgeIncident({ ...input, open }).repeat?.incidentId, 'inc-1', 'state from before the guardrail was kept: by action');
    assert.equal(judgeIncident({ ...input, manual: true, open: { ...open, lastGuardrail: 'crash-loop' } }).repeat, undefined, 'a person asking always gets a result');
  });

  test('the decision does not depend on the wall clock', () => {
    const row = rows.find((r) => r.name.startsWith('restart policy always, died 5 s'))!;
    const input = inputFor(row);
    assert.deepEqual(decide(input), decide({ ...input }));
    assert.equal(decide({ ...input, now: NOW + 2 * MIN }).action, 'restart');
  });
});

describe('dockerWillRestart', () => {
  const cases: Array<[string, ContainerFacts, boolean]> = [
    ['no', makeFacts(), false],
    ['always', makeFacts({ restartPolicy: { name: 'always' } }), true],
    ['unless-stopped', makeFacts({ restartPolicy: { name: 'unless-stopped' } }), true],
    ['on-failure, exit 0', makeFacts({ exitCode: 0, restartPolicy: { name: 'on-failure' } }), false],
    ['on-failure:3, 1 used', makeFacts({ restartCount: 1, restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } }), true],
    ['on-failure:3, 3 used', makeFacts({ restartCount: 3, restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } }), false],
    ['on-failure:1, restarting: the one retry, counted as Docker schedules it', makeFacts({ status: 'restarting', running: false, restartCount: 1, restartPolicy: { name: 'on-failure', maximumRetryCount: 1 } }), true],
    ['always, but the start itself failed', makeFacts({ status: 'created', exitCode: 127, stateError: 'exec: "x": executable file not found in $PATH', restartPolicy: { name: 'always' } }), false],
  ];
  for (const [label, facts, expected] of cases) {
    test(`${label} -> ${expected}`, () => assert.equal(dockerWillRestart(facts, makeEvidence(facts)).will, expected));
  }
});
