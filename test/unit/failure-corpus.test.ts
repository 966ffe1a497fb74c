/**
 * The rules-only judgement against the real failure corpus (test/fixtures/failure-corpus): every
 * case goes the whole way a real incident goes (detector -> evidence -> rules -> decision) and
 * the decision is compared with the operator's. Agreement is reported per kind, overall, and
 * for the held-back part on its own (split before the rules were written, never tuned on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolvePolicy } from '../../src/core/container-policy.js';
import { compileDetector } from '../../src/core/error-patterns.js';
import { buildEvidence } from '../../src/core/evidence.js';
import { jobKind } from '../../src/core/job-containers.js';
import { judgeIncident, readStoryView } from '../../src/core/judge.js';
import { diagnoseByRules } from '../../src/core/rules/index.js';
import { appendStep, emptyStory, type ContainerStory } from '../../src/core/story.js';
import type { Action, ContainerFacts, ContainerHistory, Evidence, RestartPolicyName, RulesVerdict, Trigger } from '../../src/core/types.js';
import { MIN, NOW, SEC, ago, makeFacts, makeHistory, makePolicy } from '../helpers/facts.js';

interface CorpusCase {
  readonly id: string;
  readonly image: string;
  readonly kind: string;
  readonly source: string;
  readonly log: readonly string[];
  readonly decision: Action;
  readonly why: string;
  readonly status?: ContainerFacts['status'];
  readonly exitCode?: number;
  readonly uptimeSeconds?: number;
  readonly trigger?: Trigger['kind'];
  readonly previous?: 'restarted-once';
  readonly labels?: Record<string, string>;
  readonly env?: string[];
  readonly autoRemove?: boolean;
  readonly tty?: boolean;
  readonly openStdin?: boolean;
  readonly networkMode?: string;
  readonly restartPolicy?: RestartPolicyName;
  readonly restartCount?: number;
  readonly oomKilled?: boolean;
  readonly memoryLimit?: number;
  readonly stoppedByUser?: boolean;
  readonly stateError?: string;
}

interface CorpusFile {
  readonly split: string;
  readonly cases: readonly CorpusCase[];
}

function readPart(name: string): CorpusFile {
  return JSON.parse(readFileSync(new URL(`../fixtures/failure-corpus/${name}.json`, import.meta.url), 'utf8')) as CorpusFile;
}

/** How long before NOW a case's container exited: past MIN_DEAD_TIME, so no deferral hides the decision. */
const DIED_AGO = 2 * MIN;
const detector = compileDetector();

function factsOf(c: CorpusCase): ContainerFacts {
  const status = c.status ?? 'exited';
  const running = status === 'running';
  const uptime = (c.uptimeSeconds ?? 60) * SEC;
  const startedAt = running ? ago(uptime) : ago(DIED_AGO + uptime);
  return makeFacts({
    ref: { id: `${c.id.replace(/[^a-z0-9]/g, '').slice(0, 12).padEnd(12, '0')}${'0'.repeat(52)}`, name: c.labels?.['com.docker.compose.service'] ?? c.id, image: c.image },
    status,
    running,
    exitCode: running ? 0 : c.exitCode ?? null,
    oomKilled: c.oomKilled ?? false,
    stateError: c.stateError ?? '',
    startedAt: status === 'created' ? null : startedAt,
    finishedAt: running ? null : ago(DIED_AGO),
    restartCount: c.restartCount ?? 0,
    restartPolicy: { name: c.restartPolicy ?? 'no' },
    labels: c.labels ?? {},
    env: c.env ?? [],
    tty: c.tty ?? false,
    openStdin: c.openStdin ?? false,
    autoRemove: c.autoRemove ?? false,
    networkMode: c.networkMode ?? 'bridge',
    memoryLimit: c.memoryLimit ?? 0,
  });
}

function triggerOf(c: CorpusCase, facts: ContainerFacts): Trigger {
  if (c.trigger) return { kind: c.trigger, at: ago(0) };
  if (facts.running) return { kind: 'log-pattern', at: ago(0) };
  return { kind: 'die', at: ago(DIED_AGO), ...(facts.exitCode !== null ? { exitCode: facts.exitCode } : {}) };
}

/** The doctor restarted it ten minutes ago after the same failure, which came back. */
function historyAfterOneRestart(rule: string): ContainerHistory {
  return makeHistory({
    deaths: [ago(11 * MIN)],
    restarts: [ago(10 * MIN)],
    incidents: [{ signature: 'corpus', incidentId: 'corpus-1', firstSeen: ago(11 * MIN), lastSeen: ago(11 * MIN), count: 1, lastAction: 'restart', rule }],
  });
}

interface Judged {
  readonly action: Action;
  readonly verdict: RulesVerdict;
}

/**
 * The story the engine's events would tell: the start, and for an exit a die at the exit time;
 * a person's stop adds their kill (SIGTERM) a second before the die.
 */
function storyOf(c: CorpusCase, facts: ContainerFacts): ContainerStory {
  let story = emptyStory(facts.ref.id, facts.ref.host, facts.ref.name);
  const started = facts.startedAt === null ? null : Date.parse(facts.startedAt);
  if (started !== null) story = appendStep(story, { at: started, kind: 'start' }, NOW);
  const died = facts.finishedAt === null ? null : Date.parse(facts.finishedAt);
  if (died !== null && !facts.running && facts.status !== 'created') {
    if (c.stoppedByUser) story = appendStep(story, { at: died - SEC, kind: 'kill', signal: 'SIGTERM', by: 'person' }, NOW);
    story = appendStep(story, { at: died, kind: 'die', exitCode: facts.exitCode ?? 0 }, NOW);
  }
  return story;
}

/**
 * THE adapter to the judge: the one place that knows how a decision is asked for (issue 8's
 * judge reads the story, the job marker and the guardrail table). When its signature changes,
 * only this function changes.
 */
function judge(input: { facts: ContainerFacts; evidence: Evidence; trigger: Trigger; history: ContainerHistory; story: ContainerStory }): Judged {
  const { facts, evidence, trigger, history } = input;
  const verdict = diagnoseByRules({ facts, evidence, trigger, history, now: NOW });
  const policy = resolvePolicy(facts, { autoFix: true, maxRestartsPerHour: 3, minDeadTimeMs: 60 * SEC, freshExitMs: makePolicy().freshExitMs });
  const job = jobKind(facts);
  const judged = judgeIncident({
    trigger, facts, evidence, rules: verdict, history, policy, now: NOW, manual: false,
    story: readStoryView(input.story, facts, trigger, history, NOW),
    ...(job ? { job } : {}),
  });
  return { action: judged.skip ? 'none' : judged.decision.action, verdict };
}

interface Outcome {
  readonly c: CorpusCase;
  readonly action: Action;
  readonly agrees: boolean;
  readonly rule: string;
  readonly failureClass: string;
}

function runCase(c: CorpusCase): Outcome {
  const facts = factsOf(c);
  const lines = c.log.map((text) => ({ stream: 'stderr' as const, text }));
  const findings = detector.detect(lines);
  const evidence = buildEvidence({ facts, logs: lines, findings, stoppedByUser: c.stoppedByUser ?? false });
  const trigger = triggerOf(c, facts);
  // A running container whose output holds no error line raises no incident at all.
  if (facts.running && trigger.kind === 'log-pattern' && evidence.matchedLines.length === 0) {
    return { c, action: 'none', agrees: c.decision === 'none', rule: '(no incident)', failureClass: 'none' };
  }
  const story = storyOf(c, facts);
  let judged = judge({ facts, evidence, trigger, history: makeHistory(), story });
  if (c.previous === 'restarted-once') judged = judge({ facts, evidence, trigger, history: historyAfterOneRestart(judged.verdict.rule), story });
  const { verdict, action } = judged;
  // Not a failure means nothing worth an incident: no decision to act and nothing above low severity.
  const quiet = c.kind !== 'not-a-failure' || verdict.diagnosis.severity === 'low' || verdict.rule === 'no-problem';
  return { c, action, agrees: action === c.decision && quiet, rule: verdict.rule, failureClass: verdict.failureClass };
}

function agreement(outcomes: readonly Outcome[]): { agreed: number; total: number; rate: number } {
  const agreed = outcomes.filter((o) => o.agrees).length;
  return { agreed, total: outcomes.length, rate: outcomes.length === 0 ? 1 : agreed / outcomes.length };
}

function report(title: string, outcomes: readonly Outcome[]): string {
  const kinds = [...new Set(outcomes.map((o) => o.c.kind))].sort();
  const rows = kinds.map((kind) => {
    const a = agreement(outcomes.filter((o) => o.c.kind === kind));
    return `  ${kind.padEnd(14)} ${String(a.agreed).padStart(3)}/${String(a.total).padEnd(3)} ${(a.rate * 100).toFixed(1)} %`;
  });
  const all = agreement(outcomes);
  const misses = outcomes.filter((o) => !o.agrees).map((o) => `  miss ${o.c.id}: operator ${o.c.decision}, doctor ${o.action} (${o.rule}, ${o.failureClass})`);
  return [`${title}: ${all.agreed}/${all.total} = ${(all.rate * 100).toFixed(1)} %`, ...rows, ...misses].join('\n');
}

const tuning = readPart('tuning').cases.map(runCase);
const heldBack = readPart('held-back').cases.map(runCase);
const everything = [...tuning, ...heldBack];

test('the corpus is real-sized: at least 150 cases, 40 images, 40 not-a-failure cases, each with a source', () => {
  assert.ok(everything.length >= 150, `${everything.length} cases`);
  const images = new Set(everything.map((o) => o.c.image.split(/[: ]/)[0]));
  assert.ok(images.size >= 40, `${images.size} images`);
  assert.ok(everything.filter((o) => o.c.kind === 'not-a-failure').length >= 40);
  for (const { c } of everything) assert.match(c.source, /^https:\/\//, `${c.id} cites a source`);
  assert.equal(new Set(everything.map((o) => o.c.id)).size, everything.length, 'ids are unique');
});

test('rules-only agreement with operators on the failure corpus', () => {
  console.log(`${report('tuning part', tuning)}\n${report('held-back part (never tuned on)', heldBack)}\n${report('whole corpus', everything)}`);
  const rate = (kind?: string) => agreement(kind ? everything.filter((o) => o.c.kind === kind) : everything).rate;
  assert.ok(rate() >= 0.9, `overall ${(rate() * 100).toFixed(1)} %`);
  assert.equal(rate('job'), 1, 'one-off and job containers');
  assert.equal(rate('person'), 1, "a person's actions");
  assert.ok(rate('not-a-failure') >= 0.95, `not a failure ${(rate('not-a-failure') * 100).toFixed(1)} %`);
  assert.ok(agreement(heldBack).rate >= 0.9, 'the held-back part on its own');
});
