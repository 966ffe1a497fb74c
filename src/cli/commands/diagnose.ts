import { parseContainerRef } from '../../core/container-name.js';
import { ConfigError, ContainerNotFoundError, DockerUnavailableError, ExitCode } from '../../core/errors.js';
import type { IncidentResult } from '../../pipeline/incident-handler.js';
import { IncidentHandler } from '../../pipeline/incident-handler.js';
import type { ContainerFacts } from '../../core/types.js';
import type { DockerEngine } from '../../pipeline/ports.js';
import { parseTime } from '../../core/history.js';
import { replayContainer } from '../../pipeline/story-feed.js';
import { handlerDeps, openRuntime } from '../bootstrap.js';
import { configFromFlags, type CommonFlags } from '../config-flags.js';
import { colorsFor } from '../render/colors.js';
import { formatDiagnoseReport, hasProblem, toDiagnoseJson } from '../render/diagnose-report.js';

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
  const config = configFromFlags(flags);
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
    for (const w of warnings) process.stderr.write(`doctor: warning: ${w}\n`);
    if (flags.json) process.stdout.write(`${JSON.stringify(toDiagnoseJson(result))}\n`);
    else process.stdout.write(formatDiagnoseReport(colorsFor(process.stdout), result));
    return hasProblem(result) ? ExitCode.problemFound : ExitCode.ok;
  } finally {
    await runtime.close();
  }
}
