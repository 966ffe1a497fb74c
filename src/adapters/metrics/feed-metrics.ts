/**
 * What each feed event counts for in the Prometheus metrics: the one place that maps the
 * pipeline's events onto metrics. Events of a kind it does not know (the pipeline adds kinds as
 * it grows) are ignored, never an error.
 */
import type { AuditRecord } from '../../core/types.js';
import type { FeedEvent } from '../../pipeline/feed.js';
import { hostLabel, type DoctorMetrics } from './doctor-metrics.js';
import { restartResult } from '../../core/outcome.js';

/** Restarts in flight are few; this bounds the memory if an outcome never arrives. */
const MAX_PENDING_RESTARTS = 1000;
/** Triggers already timed, so a second record of one (an escalation after its restart) is not; the newest are enough. */
const MAX_TIMED_TRIGGERS = 1000;

/** Returns the listener that feeds `metrics`; `now` is injectable for tests. */
export function createFeedMetrics(metrics: DoctorMetrics, now: () => number = Date.now): (event: FeedEvent) => void {
  const restartsIssued = new Map<string, number>();
  const timed = new Set<string>();
  return (event) => {
    // A wider type than FeedEvent: a newer pipeline may send kinds this module has never seen.
    const kind: string = event.type;
    switch (kind) {
      case 'incident':
        return observeIncident(metrics, (event as Extract<FeedEvent, { type: 'incident' }>).record, now(), restartsIssued, timed);
      case 'restarting': {
        const e = event as Extract<FeedEvent, { type: 'restarting' }>;
        if (restartsIssued.size >= MAX_PENDING_RESTARTS) restartsIssued.delete(restartsIssued.keys().next().value!);
        restartsIssued.set(e.incidentId, now());
        return;
      }
      case 'repeat':
        return metrics.repeats.inc({ host: hostLabel((event as Extract<FeedEvent, { type: 'repeat' }>).host) });
      case 'recovered':
        return metrics.recoveries.inc({ host: hostLabel((event as Extract<FeedEvent, { type: 'recovered' }>).host) });
      case 'cycle': {
        const e = event as Extract<FeedEvent, { type: 'cycle' }>;
        metrics.cycles.inc({ host: hostLabel(e.host) });
        metrics.cycleDuration.observe({ host: hostLabel(e.host) }, e.durationMs / 1000);
        return;
      }
      case 'engine-down':
        return metrics.engineErrors.inc({ host: hostLabel((event as Extract<FeedEvent, { type: 'engine-down' }>).host) });
      case 'diagnosis':
        if (!(event as Extract<FeedEvent, { type: 'diagnosis' }>).ok) metrics.diagnosisFailures.inc();
        return;
      default:
        return;
    }
  };
}

function observeIncident(metrics: DoctorMetrics, record: AuditRecord, nowMs: number, restartsIssued: Map<string, number>, timed: Set<string>): void {
  const host = hostLabel(record.container.host ?? '');
  // The failure class is the rules' verdict even when Claude wrote the diagnosis; `claude` when no rule matched.
  const rule = record.rulesDiagnosis?.rule ?? record.diagnosis.rule;
  metrics.incidents.inc({ host, severity: record.diagnosis.severity, class: rule ?? record.diagnosis.source });
  if (record.decision.action === 'escalate') metrics.escalations.inc({ host });

  // A restart's record is written ahead: it reached the audit log as the restart went out (the
  // `restarting` line follows the append), not seconds later with its verified outcome. The
  // escalation after a restart that did not help is a second record of the same trigger: not timed again.
  const issuedAt = record.decision.action === 'restart' ? restartsIssued.get(record.incidentId) : undefined;
  if (issuedAt !== undefined) restartsIssued.delete(record.incidentId);
  const triggeredAt = Date.parse(record.trigger.at);
  const trigger = `${record.incidentId}|${record.trigger.at}`;
  if (Number.isFinite(triggeredAt) && record.trigger.kind !== 'manual' && !timed.has(trigger)) {
    if (timed.size >= MAX_TIMED_TRIGGERS) timed.delete(timed.values().next().value!);
    timed.add(trigger);
    metrics.incidentLatency.observe({ host, trigger: record.trigger.kind }, Math.max(0, (issuedAt ?? nowMs) - triggeredAt) / 1000);
  }

  if (record.decision.action === 'restart' && record.decision.executed) {
    const held = restartResult(record.outcome.status);
    // `person`: a person stopped, paused or restarted it during the settle check.
    const result = held === 'held' ? 'running' : held === 'person' ? 'person' : 'failed';
    metrics.restarts.inc({ host, container: record.container.name, result });
    const doneAt = Date.parse(record.outcome.at);
    if (issuedAt !== undefined && Number.isFinite(doneAt)) {
      metrics.restartDuration.observe({ host, result }, Math.max(0, doneAt - issuedAt) / 1000);
    }
  }
}
