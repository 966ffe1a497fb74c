import path from 'node:path';
import { AuditLog } from '../adapters/audit/audit-log.js';
import { DiagnosisBudget } from '../adapters/claude/diagnosis-budget.js';
import { createDockerEngine } from '../adapters/docker/docker-engine.js';
import { detectSelfContainerId } from '../adapters/docker/self-container.js';
import type { DiagnoserChain } from '../adapters/llm/diagnoser-chain.js';
import type { ChannelNotifierLike } from '../adapters/notify/build-notifiers.js';
import { notifySecrets } from '../adapters/notify/channel-url.js';
import { StateStore } from '../adapters/state/state-store.js';
import { StoryStore } from '../adapters/state/story-store.js';
import { PeopleStore } from '../adapters/state/people-store.js';
import { prepareStateDir, type Config } from '../config/load-config.js';
import { compileDetector, type Detector } from '../core/error-patterns.js';
import { createRedactor } from '../core/redact.js';
import type { FeedListener } from '../pipeline/feed.js';
import type { HandlerDeps } from '../pipeline/incident-handler.js';
import type { Clock, DockerEngine } from '../pipeline/ports.js';
import { recordDeliveryFailures } from './delivery-recorder.js';
import { StorageHealth } from '../adapters/state/storage-health.js';

/** File names inside STATE_DIR. */
export const stateFiles = {
  audit: 'audit.jsonl',
  budget: 'diagnoses.json',
} as const;

export function auditPath(config: Config): string {
  return path.join(config.stateDir, stateFiles.audit);
}

/** The doctor's own secrets: kept out of every record, alert and prompt. */
export function doctorSecrets(config: Config): string[] {
  const backendKeys = config.diagnosis.backends.map((b) => ('apiKey' in b ? b.apiKey : undefined));
  return [config.anthropic.apiKey, config.slack.webhookUrl, config.health.token, config.slackApp.botToken, config.slackApp.appToken, ...backendKeys, ...notifySecrets(config)].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
}

export const systemClock: Clock = { now: () => Date.now() };

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Everything a command that watches or diagnoses needs, built from one config. */
export interface Runtime {
  readonly config: Config;
  readonly engines: readonly DockerEngine[];
  readonly detector: Detector;
  readonly store: StateStore;
  readonly stories: StoryStore;
  readonly audit: AuditLog;
  readonly budget: DiagnosisBudget;
  /** Writes of STATE_DIR files that are failing (ENOSPC, EACCES), for /health. */
  readonly storage: StorageHealth;
  /** DIAGNOSIS_BACKENDS as one chain; undefined = rules only. */
  readonly diagnoser?: DiagnoserChain;
  /** One per channel (SLACK_WEBHOOK_URL, NOTIFY_URLS), each with its own queue. */
  readonly notifiers: readonly ChannelNotifierLike[];
  readonly selfId?: string;
  /** Proposals waiting for approval, snoozes and overrides (STATE_DIR/people.json). */
  readonly people: PeopleStore;
  close(): Promise<void>;
}

/** One line for a damaged state file: where it went, or that a read-only run left it untouched. */
export function damagedFileWarning(what: string, damage: string, movedTo: string | undefined, then: string): string {
  return movedTo
    ? `${what} was damaged (${damage}); moved aside to ${movedTo}, ${then}`
    : `${what} is damaged (${damage}); left as it is (read-only run), ${then}`;
}

/**
 * `write: false` (`doctor diagnose` without --fix) reads the state but leaves every file as it
 * was: the story it replays is shown, not kept.
 */
export async function openRuntime(config: Config, opts: { ai: boolean; feed: FeedListener; notify: boolean; write?: boolean }): Promise<Runtime> {
  await prepareStateDir(config.stateDir);
  const storage = new StorageHealth(({ file, error }) =>
    opts.feed({
      type: 'warning',
      message: error === null ? `storage: ${file} is written again` : `storage: cannot write ${file}: ${error}; what the doctor learns is kept in memory only until it can`,
    }),
  );
  const readOnly = opts.write === false;
  const store = await StateStore.open(config.stateDir, { health: storage, readOnly });
  if (store.damage) opts.feed({ type: 'warning', message: damagedFileWarning('state file', store.damage, store.recoveredFrom, 'starting with no history') });
  const stories = await StoryStore.open(config.stateDir, { readOnly, health: storage });
  if (stories.damage) opts.feed({ type: 'warning', message: damagedFileWarning('story file', stories.damage, stories.recoveredFrom, 'starting with no stories') });
  const audit = await AuditLog.open(auditPath(config), { health: storage });
  const people = await PeopleStore.open(config.stateDir, { health: storage });
  if (people.recoveredFrom) opts.feed({ type: 'warning', message: `approvals file was damaged; moved aside to ${people.recoveredFrom}, starting with no pending approvals, snoozes or overrides` });
  const budget = await DiagnosisBudget.open(path.join(config.stateDir, stateFiles.budget), {
    maxPerHour: config.anthropic.maxDiagnosesPerHour,
    health: storage,
    readOnly,
  });
  if (budget.damage) opts.feed({ type: 'warning', message: damagedFileWarning('diagnosis budget file', budget.damage, budget.recoveredFrom, 'starting a fresh hour and totals') });
  const engines = config.dockerHosts.map((host) => createDockerEngine(host));
  // The model backends and the channels are imported only by a run that uses them: `doctor
  // diagnose` without --fix or a key parses neither (issue 14).
  const diagnoser = opts.ai && config.diagnosis.backends.length > 0 ? await openDiagnoser(config) : undefined;
  const notifiers = opts.notify ? await openNotifiers(config, { audit, feed: opts.feed }) : [];
  const selfId = await detectSelfContainerId();
  return {
    config,
    engines,
    detector: compileDetector(config.errorPatterns.length > 0 ? config.errorPatterns : undefined),
    store,
    stories,
    audit,
    budget,
    storage,
    diagnoser,
    notifiers,
    selfId,
    people,
    async close() {
      await Promise.all(notifiers.map((n) => n.flush(5_000)));
      await budget.flush();
      await store.save().catch(() => undefined);
      await stories.save().catch(() => undefined);
      await audit.close();
    },
  };
}

async function openDiagnoser(config: Config): Promise<DiagnoserChain | undefined> {
  const { buildDiagnosers, chainDiagnosers } = await import('../adapters/llm/build-diagnosers.js');
  return chainDiagnosers(await buildDiagnosers(config));
}

async function openNotifiers(config: Config, deps: { audit: AuditLog; feed: FeedListener }): Promise<ChannelNotifierLike[]> {
  const { buildNotifiers } = await import('../adapters/notify/build-notifiers.js');
  const redact = createRedactor({ extraSecrets: doctorSecrets(config) });
  return buildNotifiers(config, { redact, onDelivery: recordDeliveryFailures({ audit: deps.audit, feed: deps.feed, clock: systemClock, redact }) });
}

/** What the incident handler (and so the watcher) needs from a runtime. */
export function handlerDeps(runtime: Runtime, feed: FeedListener): HandlerDeps {
  return {
    config: runtime.config,
    detector: runtime.detector,
    store: runtime.store,
    stories: runtime.stories,
    audit: runtime.audit,
    clock: systemClock,
    feed,
    sleep,
    diagnosers: runtime.diagnoser ? [runtime.diagnoser] : [],
    allowance: runtime.budget,
    notifiers: runtime.notifiers,
    selfId: runtime.selfId,
    secrets: doctorSecrets(runtime.config),
  };
}
