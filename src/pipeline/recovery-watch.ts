import { historyKey } from '../core/history.js';
import type { AuditRecord, ContainerFacts } from '../core/types.js';
import type { IncidentBus } from './incident-bus.js';
import type { Clock, DockerEngine } from './ports.js';

interface Pending {
  readonly record: AuditRecord;
  readonly engine: DockerEngine;
  /** `State.StartedAt` when the incident was judged (engine clock): a different value means it was started again since. */
  readonly startedAt: string | null;
}

/** Stop waiting for a recovery after this long: the container was removed, or a person took over. */
const RECOVERY_WATCH_MS = 24 * 60 * 60 * 1000;

/**
 * People were told about it and something is still wrong: the doctor escalated, or restarted a
 * container whose health check will say when it is really well, or the restart did not hold.
 */
export function awaitsRecovery(record: AuditRecord): boolean {
  const { decision, evidence, outcome } = record;
  if (decision.action === 'escalate') return true;
  return decision.executed && (evidence.health !== 'none' || outcome.status !== 'restarted');
}

/**
 * Well again means: running, and either its health check passes or (without one) it has stayed up
 * for `stableMs`; and something changed since the incident (it was started again, or a failing
 * health check passes again). Running alone is not enough: a crash loop is running half the time,
 * and a container that only logged errors was running all along.
 */
export function isWellAgain(pending: { record: AuditRecord; startedAt: string | null }, facts: ContainerFacts, now: number, stableMs: number): boolean {
  if (!facts.running || facts.status !== 'running') return false;
  const startedAgain = facts.startedAt !== null && facts.startedAt !== pending.startedAt;
  if (facts.health.status === 'healthy') return startedAgain || pending.record.evidence.health === 'unhealthy';
  if (facts.health.status !== 'none' || !startedAgain) return false;
  const upFor = now - (Date.parse(facts.startedAt ?? '') || now);
  return upFor >= stableMs;
}

/** Containers the doctor restarted or escalated: tells people (feed, Slack) when they are well again. */
export class RecoveryWatch {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly deps: {
      readonly clock: Clock;
      /** Where a recovery is published: the audit log, the feed and the notifiers hear it. */
      readonly bus: IncidentBus;
      /** Without a health check, how long a container must stay up to count as recovered. */
      readonly stableMs: number;
    },
  ) {}

  /** Remembers an incident worth a follow-up; a newer incident for the container replaces it. */
  expect(record: AuditRecord, engine: DockerEngine, startedAt: string | null): void {
    if (!awaitsRecovery(record)) return;
    this.pending.set(historyKey(engine.host, record.container.name), { record, engine, startedAt });
  }

  /** Looks at every container awaiting recovery on this engine (after a cycle, a start, a healthy). */
  check(engine: DockerEngine): void {
    for (const [key, pending] of this.pending) {
      if (pending.engine !== engine) continue;
      if (this.deps.clock.now() - Date.parse(pending.record.time) > RECOVERY_WATCH_MS) {
        this.pending.delete(key);
        continue;
      }
      // By name: a container recreated under the same name (compose up) is the usual fix.
      void engine
        .inspect(pending.record.container.name)
        .then((facts) => {
          const now = this.deps.clock.now();
          if (!isWellAgain(pending, facts, now, this.deps.stableMs) || this.pending.get(key) !== pending) return;
          this.pending.delete(key);
          const afterMs = now - Date.parse(pending.record.time);
          return this.deps.bus.publish({ type: 'recovered', record: pending.record, at: now, afterMs });
        })
        .catch(() => {
          // gone or unreachable: keep waiting until RECOVERY_WATCH_MS
        });
    }
  }
}
