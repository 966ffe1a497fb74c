/**
 * The doctor's Prometheus metrics with prom-client: the standard `process_*` and `nodejs_*`
 * metrics, the doctor's own counters, gauges and latency histograms, one registry per process.
 * Naming follows https://prometheus.io/docs/practices/naming/: a unit suffix, `_total` on
 * counters, and the engine (`host`), the container and the channel as labels, never in names.
 * What each feed event counts for is decided in feed-metrics.ts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineStatus } from '../../pipeline/ports.js';
import type { MetricsSnapshot } from '../http/metrics-text.js';

/** Where the figures that other parts keep come from, read at each scrape. */
export interface MetricsSources {
  readonly version: string;
  snapshot(): MetricsSnapshot;
  engines(): readonly EngineStatus[];
}

/** Latency buckets in seconds: from the engine's own floor (~10 ms) to the slow end of a restart. */
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Diagnosis calls take seconds; the SDK's timeout is DIAGNOSIS_TIMEOUT (default 30 s). */
const DIAGNOSIS_BUCKETS = [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];

/** Label value for an engine; the default socket entry is '' in the config. */
export function hostLabel(host: string): string {
  return host === '' ? 'local' : host;
}

/** How often the event loop's delay is sampled for nodejs_eventloop_lag_* (prom-client's default: 10 ms). */
const EVENT_LOOP_SAMPLE_MS = 100;

export class DoctorMetrics {
  readonly registry = new Registry();
  readonly incidents: Counter<'host' | 'severity' | 'class'>;
  readonly restarts: Counter<'host' | 'container' | 'result'>;
  readonly escalations: Counter<'host'>;
  readonly repeats: Counter<'host'>;
  readonly recoveries: Counter<'host'>;
  readonly cycles: Counter<'host'>;
  readonly engineErrors: Counter<'host'>;
  readonly diagnosisFailures: Counter<never>;
  readonly incidentLatency: Histogram<'host' | 'trigger'>;
  readonly restartDuration: Histogram<'host' | 'result'>;
  readonly diagnosisDuration: Histogram<'backend' | 'result'>;
  readonly cycleDuration: Histogram<'host'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    // prom-client samples the event loop's delay with a timer every 10 ms by default: 100 wake-ups
    // a second in a process that is otherwise asleep between cycles. Every 100 ms still catches
    // each stall of 100 ms or more (the timer is always pending, so it fires late by the stall).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    // prom-client also exports these three gauges under a `_total` name, which Prometheus reserves
    // for counters (promtool check metrics flags them); the same figures stay without the suffix.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    new Gauge({
      name: 'doctor_build_info',
      help: 'Always 1; the labels name the running build.',
      labelNames: ['version', 'nodejs_version'],
      registers,
    }).set({ version: sources.version, nodejs_version: process.version }, 1);

    this.incidents = new Counter({ name: 'doctor_incidents_total', help: 'Incidents recorded in the audit log, by severity and failure class (the rule that matched).', labelNames: ['host', 'severity', 'class'], registers });
    this.restarts = new Counter({ name: 'doctor_restarts_total', help: 'Restarts the doctor issued; result is running, failed (not running after it) or person (a person stopped, paused or restarted it during the settle check).', labelNames: ['host', 'container', 'result'], registers });
    this.escalations = new Counter({ name: 'doctor_escalations_total', help: 'Incidents escalated to a person.', labelNames: ['host'], registers });
    this.repeats = new Counter({ name: 'doctor_repeats_total', help: 'Repeats of an already recorded incident.', labelNames: ['host'], registers });
    this.recoveries = new Counter({ name: 'doctor_recoveries_total', help: 'Containers seen running and healthy again after an incident.', labelNames: ['host'], registers });
    this.cycles = new Counter({ name: 'doctor_cycles_total', help: 'Reconcile cycles completed.', labelNames: ['host'], registers });
    this.engineErrors = new Counter({ name: 'doctor_engine_errors_total', help: 'Times the Docker Engine could not be reached or its events stream broke.', labelNames: ['host'], registers });
    this.diagnosisFailures = new Counter({ name: 'doctor_diagnosis_failures_total', help: 'Diagnosis calls that failed (the rules decided instead).', registers });

    this.incidentLatency = new Histogram({ name: 'doctor_incident_record_seconds', help: 'From the trigger (a die, oom or unhealthy event, or the reconcile that found it) to the incident in the audit log.', labelNames: ['host', 'trigger'], buckets: LATENCY_BUCKETS, registers });
    this.restartDuration = new Histogram({ name: 'doctor_restart_duration_seconds', help: 'From issuing a restart to its verified outcome (the settle check included).', labelNames: ['host', 'result'], buckets: LATENCY_BUCKETS, registers });
    this.diagnosisDuration = new Histogram({ name: 'doctor_diagnosis_duration_seconds', help: 'Latency of one diagnosis call to a backend.', labelNames: ['backend', 'result'], buckets: DIAGNOSIS_BUCKETS, registers });
    this.cycleDuration = new Histogram({ name: 'doctor_cycle_duration_seconds', help: 'Duration of one reconcile cycle.', labelNames: ['host'], buckets: LATENCY_BUCKETS, registers });

    // Figures kept elsewhere (the diagnosis budget, the channels, the watcher), read at scrape time.
    const snapshotCounter = (name: string, help: string, labelNames: string[], read: (s: MetricsSnapshot) => Array<[Record<string, string>, number]>) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [labels, value] of read(sources.snapshot())) this.inc(labels, value);
        },
      });
    snapshotCounter('doctor_diagnoses_total', 'Diagnosis calls made (the persisted hourly budget counts them).', [], (s) => [[{}, s.diagnoses.calls]]);
    snapshotCounter('doctor_tokens_total', 'Tokens used by diagnosis calls.', ['kind'], (s) => [
      [{ kind: 'input' }, s.diagnoses.inputTokens],
      [{ kind: 'output' }, s.diagnoses.outputTokens],
    ]);
    // Every channel (SLACK_WEBHOOK_URL and NOTIFY_URLS) by its printable, secret-free name.
    const channelsOf = (s: MetricsSnapshot) => s.channels ?? [];
    snapshotCounter('doctor_notifications_total', 'Messages to people, by channel and result (delivered, failed: given up on, dropped: over the rate limit).', ['channel', 'result'], (s) =>
      channelsOf(s).flatMap((c): Array<[Record<string, string>, number]> => [
        [{ channel: c.channel, result: 'delivered' }, c.delivered],
        [{ channel: c.channel, result: 'failed' }, c.failed],
        [{ channel: c.channel, result: 'dropped' }, c.dropped],
      ]),
    );
    new Gauge({
      name: 'doctor_channel_failing',
      help: 'Whether the last message on the channel was given up on.',
      labelNames: ['channel'],
      registers,
      collect() {
        this.reset();
        for (const c of channelsOf(sources.snapshot())) this.set({ channel: c.channel }, c.failing ? 1 : 0);
      },
    });
    // Every DIAGNOSIS_BACKENDS entry.
    snapshotCounter('doctor_diagnosis_backend_calls_total', 'Calls to a diagnosis backend, by result (answered, failed, skipped: its hourly budget was spent).', ['backend', 'result'], (s) =>
      (s.backends ?? []).flatMap((b): Array<[Record<string, string>, number]> => [
        [{ backend: b.backend, result: 'answered' }, b.answers],
        [{ backend: b.backend, result: 'failed' }, b.failures],
        [{ backend: b.backend, result: 'skipped' }, b.skipped],
      ]),
    );
    new Gauge({
      name: 'doctor_diagnoses_remaining',
      help: 'Diagnoses left in the sliding hour (MAX_DIAGNOSES_PER_HOUR).',
      registers,
      collect() {
        this.set(sources.snapshot().diagnoses.remainingThisHour);
      },
    });
    const engineGauge = (name: string, help: string, value: (e: EngineStatus) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['host'],
        registers,
        collect() {
          this.reset();
          for (const e of sources.engines()) {
            const v = value(e);
            if (v !== undefined) this.set({ host: hostLabel(e.host) }, v);
          }
        },
      });
    engineGauge('doctor_engine_up', 'Whether the Docker Engine is reachable and its events stream is followed.', (e) => (e.connected && e.eventsStreaming ? 1 : 0));
    engineGauge('doctor_targets', 'Containers watched on the engine.', (e) => e.targets);
  }

  /** The exposition text and its content type, for GET /metrics. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
