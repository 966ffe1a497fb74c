/**
 * Containers waiting for their root cause to come back (issue 12): a dependent judged while the
 * container it fails to reach was down is looked at again once that container runs well (its start
 * without a health check, or its first healthy probe), and restarted then only if it is still failing.
 */
import { ContainerNotFoundError } from '../core/errors.js';
import type { Trigger } from '../core/types.js';
import type { DockerEngine } from './ports.js';

export interface RootWaitDeps {
  /** Hands a trigger to the per-container queue, as a look again. */
  readonly enqueue: (engine: DockerEngine, id: string, trigger: Trigger) => void;
  readonly now: () => number;
}

export class RootWaits {
  /** Per host|root id: the dependents waiting for it. */
  private readonly waiting = new Map<string, Set<string>>();

  constructor(private readonly deps: RootWaitDeps) {}

  wait(engine: DockerEngine, rootId: string, dependentId: string): void {
    const key = `${engine.host}|${rootId}`;
    const set = this.waiting.get(key) ?? new Set<string>();
    set.add(dependentId);
    this.waiting.set(key, set);
  }

  /** A watched container started or turned healthy: if dependents wait for it and it runs well now, they are looked at again. */
  async maybeBack(engine: DockerEngine, rootId: string): Promise<void> {
    const key = `${engine.host}|${rootId}`;
    const dependents = this.waiting.get(key);
    if (!dependents) return;
    try {
      const root = await engine.inspect(rootId);
      // With a health check it is back when a probe passes, not when its process starts.
      if (!root.running || root.health.status === 'starting' || root.health.status === 'unhealthy') return;
    } catch (error) {
      if (error instanceof ContainerNotFoundError) this.waiting.delete(key);
      return;
    }
    this.waiting.delete(key);
    for (const id of dependents) {
      try {
        const facts = await engine.inspect(id);
        const at = new Date(this.deps.now()).toISOString();
        // Still down: its exit is judged again, now that the root is back. Running and unhealthy:
        // its health is. Running well: nothing; new error lines reach the log scan as usual.
        if (!facts.running && facts.status !== 'paused') this.deps.enqueue(engine, id, { kind: 'die', at: facts.finishedAt ?? at, ...(facts.exitCode !== null ? { exitCode: facts.exitCode } : {}) });
        else if (facts.running && facts.health.status === 'unhealthy') this.deps.enqueue(engine, id, { kind: 'unhealthy', at });
      } catch (error) {
        if (!(error instanceof ContainerNotFoundError)) throw error;
      }
    }
  }
}
