import { ContainerNotFoundError, DockerUnavailableError, ExitCode } from '../../core/errors.js';
import type { IncidentResult } from '../../pipeline/incident-handler.js';
import { IncidentHandler } from '../../pipeline/incident-handler.js';
import type { DockerEngine } from '../../pipeline/ports.js';
import { StopTracker } from '../../pipeline/stop-tracker.js';
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
async function locate(engines: readonly DockerEngine[], name: string): Promise<DockerEngine> {
  const unreachable: DockerUnavailableError[] = [];
  for (const engine of engines) {
    try {
      await engine.inspect(name);
      return engine;
    } catch (error) {
      if (error instanceof DockerUnavailableError) unreachable.push(error);
      else if (!(error instanceof ContainerNotFoundError)) throw error;
    }
  }
  if (unreachable.length === engines.length) throw unreachable[0]!;
  throw new ContainerNotFoundError(`no container named ${JSON.stringify(name)} on ${engines.map((e) => e.host || 'the local engine').join(', ')}`);
}

export async function runDiagnoseCommand(container: string, flags: DiagnoseFlags): Promise<number> {
  const config = configFromFlags(flags);
  const warnings: string[] = [];
  const runtime = await openRuntime(config, {
    ai: flags.ai !== false,
    notify: flags.fix === true,
    feed: (e) => {
      if (e.type === 'warning') warnings.push(e.message);
    },
  });
  try {
    const engine = await locate(runtime.engines, container);
    const handler = new IncidentHandler({ ...handlerDeps(runtime, () => undefined), stops: new StopTracker() });
    const result = (await handler.handle({
      engine,
      id: container,
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
