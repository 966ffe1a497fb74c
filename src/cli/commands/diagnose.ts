import { parseContainerRef } from '../../core/container-name.js';
import { ConfigError, ContainerNotFoundError, DockerUnavailableError, ExitCode } from '../../core/errors.js';
import type { IncidentResult } from '../../pipeline/incident-handler.js';
import { IncidentHandler } from '../../pipeline/incident-handler.js';
import type { ContainerFacts } from '../../core/types.js';
import type { DockerEngine } from '../../pipeline/ports.js';
import { historyKey, parseTime } from '../../core/history.js';
import { personName } from '../../core/approval.js';
import type { ContainerHolds } from '../../core/people-gate.js';
import { activeWindow, labelMaintenance } from '../../core/quiet-periods.js';
import type { Config } from '../../config/load-config.js';
import { replayContainer } from '../../pipeline/story-feed.js';
import { handlerDeps, openRuntime } from '../bootstrap.js';
import { loadFlagConfig, type CommonFlags } from '../config-flags.js';
import { colorsFor } from '../render/colors.js';
import { formatDiagnoseReport, hasProblem, toDiagnoseJson } from '../render/diagnose-report.js';
import { formatNeighbours } from '../render/neighbours-text.js';
import { readNeighbours } from '../../pipeline/neighbour-view.js';

export interface DiagnoseFlags extends CommonFlags {
  json?: boolean;
  fix?: boolean;
  ai?: boolean;
}

/** Finds the engine that has the container; a missing container on every engine is a usage error. */
async function locate(engines: readonly DockerEngine[], name: string): Promise<{ engine: DockerEngine; facts: ContainerFacts }> {
  const unreachable: DockerUnavailableError[] = [];
  for (const engine of engines) {
    try {
      return { engine, facts: await engine.inspect(name) };
    } catch (error) {
      if (error instanceof DockerUnavailableError) unreachable.push(error);
      else if (!(error instanceof ContainerNotFoundError)) throw error;
    }
  }
  if (unreachable.length === engines.length) throw unreachable[0]!;
  throw new ContainerNotFoundError(`no container named ${JSON.stringify(name)} on ${engines.map((e) => e.host || 'the local engine').join(', ')}`);
}

export async function runDiagnoseCommand(given: string, flags: DiagnoseFlags): Promise<number> {
  const parsed = parseContainerRef(given, 'container');
  if (!parsed.ok) throw new ConfigError(parsed.message);
  const container = parsed.ref;
  const { config, origins } = loadFlagConfig(flags);
  // Without DOCKER_HOST the engine was found the docker CLI's way: say which, on stderr (stdout is data).
  const found = origins['DOCKER_HOST'];
  if (found?.source === 'default' && found.detail) process.stderr.write(`doctor: using the Docker Engine at ${config.dockerHosts.join(', ')} (${found.detail})\n`);
  const warnings: string[] = [];
  const runtime = await openRuntime(config, {
    ai: flags.ai !== false,
    notify: flags.fix === true,
    write: flags.fix === true,
    feed: (e) => {
      if (e.type === 'warning') warnings.push(e.message);
    },
  });
  try {
    const { engine, facts } = await locate(runtime.engines, container);
    // Read beside the diagnosis, not after it: the full listing is the slowest call on a busy
    // engine, and what links the neighbours (labels, network mode) does not change with a restart.
    const neighbourRead = readNeighbours(engine, facts, { config, selfId: runtime.selfId }).catch((error: unknown) => {
      warnings.push(`could not read its neighbours: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    });
    // The same story the watcher keeps: what is on file, plus what the engine still holds since this run began.
    const runStart = parseTime(facts.startedAt) ?? parseTime(facts.finishedAt) ?? Date.now() - 24 * 60 * 60 * 1000;
    const complete = await replayContainer(engine, runtime.stories, { id: facts.ref.id, name: facts.ref.name, sinceMs: runStart - 1_000 }, Date.now());
    if (!complete) warnings.push('the engine no longer holds every event of this run; who stopped it may be unknown');
    const handler = new IncidentHandler(handlerDeps(runtime, () => undefined));
    const result = (await handler.handle({
      engine,
      id: facts.ref.id,
      trigger: { kind: 'manual', at: new Date().toISOString() },
      manual: true,
      act: flags.fix === true,
      record: flags.fix === true,
      askAi: flags.ai !== false,
    })) as IncidentResult;
    const neighbours = await neighbourRead;
    for (const w of warnings) process.stderr.write(`doctor: warning: ${w}\n`);
    const people = describeHolds(runtime.people.holdsOf(historyKey(engine.host, facts.ref.name)), facts, config.people, Date.now());
    if (flags.json) process.stdout.write(`${JSON.stringify({ ...toDiagnoseJson(result), ...(people.length > 0 ? { people } : {}), neighbours, ...(result.rootCause ? { rootCause: result.rootCause } : {}) })}\n`);
    else process.stdout.write(`${formatDiagnoseReport(colorsFor(process.stdout), result)}${people.map((line) => `People: ${line}\n`).join('')}${formatNeighbours(result, neighbours)}`);
    return hasProblem(result) ? ExitCode.problemFound : ExitCode.ok;
  } finally {
    await runtime.close();
  }
}

/** Snoozes, overrides and maintenance in force for the container, one line each (issue 10). */
function describeHolds(holds: ContainerHolds, facts: ContainerFacts, people: Config['people'], now: number): string[] {
  const lines: string[] = [];
  if (holds.snooze && holds.snooze.until > now) lines.push(`snoozed by ${personName(holds.snooze.by)} until ${new Date(holds.snooze.until).toISOString()}: no alerts and no action`);
  if (holds.never) lines.push(`never auto-restart, set by ${personName(holds.never.by)} at ${new Date(holds.never.at).toISOString()} (doctor unsnooze ${facts.ref.name} --override lifts it)`);
  const maintenance = labelMaintenance(facts.labels, now) ?? activeWindow(people.windows, now, people.timeZone);
  if (maintenance) lines.push(`in maintenance until ${new Date(maintenance.until).toISOString()} (${maintenance.why})`);
  return lines;
}
