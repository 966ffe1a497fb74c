import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DoctorMetrics } from '../../src/adapters/metrics/doctor-metrics.js';
import { createFeedMetrics } from '../../src/adapters/metrics/feed-metrics.js';
import type { MetricsSnapshot } from '../../src/adapters/http/metrics-text.js';
import type { FeedEvent } from '../../src/pipeline/feed.js';
import { makeRecord } from '../helpers/slack-records.js';

const HOST = 'unix:///var/run/docker.sock';

const snapshot: MetricsSnapshot = {
  uptimeSeconds: 1,
  totals: { incidents: 0, restarts: 0, restartFailures: 0, escalations: 0, repeats: 0, recoveries: 0, cycles: 0 },
  restartsPerContainer: {},
  diagnoses: { enabled: false, remainingThisHour: 20, calls: 0, failures: 0, inputTokens: 0, outputTokens: 0, estimatedCostUsd: null },
  slack: { enabled: true, delivered: 3, failed: 1, dropped: 0, failing: false, lastError: null, lastErrorAt: null, lastDeliveredAt: null },
  channels: [
    { channel: 'slack', delivered: 3, failed: 1, dropped: 0, skipped: 0, digests: 0, queued: 0, failing: false, lastError: null, lastErrorAt: null, lastDeliveredAt: null },
    { channel: 'ntfy://ntfy.example/alerts', delivered: 2, failed: 0, dropped: 0, skipped: 1, digests: 0, queued: 0, failing: true, lastError: 'HTTP 500', lastErrorAt: null, lastDeliveredAt: null },
  ],
  backends: [],
};

function setup(nowMs: number) {
  const metrics = new DoctorMetrics({ version: '9.9.9', snapshot: () => snapshot, engines: () => [] });
  let now = nowMs;
  const observe = createFeedMetrics(metrics, () => now);
  return { metrics, observe, setNow: (ms: number) => (now = ms) };
}

async function values(metrics: DoctorMetrics, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, name);
  return (await metric.get()).values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

describe('feed events -> Prometheus metrics', () => {
  test('an incident counts by host, severity and the rules class, and its trigger-to-record latency is observed', async () => {
    const t = Date.parse('2025-03-01T12:00:00.000Z');
    const { metrics, observe } = setup(t + 120);
    observe({ type: 'incident', record: makeRecord({ diagnosis: { severity: 'high', rule: 'oom-kill', source: 'rules' }, decision: { action: 'escalate', executed: false } }) });
    assert.deepEqual(await values(metrics, 'doctor_incidents_total'), [{ labels: { host: HOST, severity: 'high', class: 'oom-kill' }, value: 1 }]);
    assert.deepEqual((await values(metrics, 'doctor_escalations_total')).map((v) => v.value), [1]);
    const latency = await values(metrics, 'doctor_incident_record_seconds');
    const sum = latency.find((v) => v.metricName === 'doctor_incident_record_seconds_sum');
    assert.equal(sum?.value, 0.12);
    assert.deepEqual(sum?.labels, { host: HOST, trigger: 'die' });
  });

  test('a Claude diagnosis keeps the rules verdict as its class', async () => {
    const { metrics, observe } = setup(Date.now());
    observe({
      type: 'incident',
      record: makeRecord({ diagnosis: { severity: 'medium', source: 'claude', rule: undefined }, rulesDiagnosis: { ...makeRecord().diagnosis, rule: 'exit-error' } }),
    });
    assert.equal((await values(metrics, 'doctor_incidents_total'))[0]?.labels['class'], 'exit-error');
  });

  test('a restart is timed from the restarting line to its verified outcome', async () => {
    const issued = Date.parse('2025-03-01T12:00:00.000Z');
    const { metrics, observe, setNow } = setup(issued);
    observe({ type: 'restarting', host: HOST, container: 'web-1', incidentId: 'inc-7' });
    setNow(issued + 5_000);
    observe({
      type: 'incident',
      record: makeRecord({ incidentId: 'inc-7', decision: { action: 'restart', executed: true }, outcome: { status: 'restarted', at: '2025-03-01T12:00:02.500Z' } }),
    });
    assert.deepEqual(await values(metrics, 'doctor_restarts_total'), [{ labels: { host: HOST, container: 'web-1', result: 'running' }, value: 1 }]);
    const sum = (await values(metrics, 'doctor_restart_duration_seconds')).find((v) => v.metricName === 'doctor_restart_duration_seconds_sum');
    assert.equal(sum?.value, 2.5);
  });

  test('a restart is timed to its record written ahead, and the escalation after it is not timed again', async () => {
    const died = Date.parse('2025-03-01T12:00:00.000Z');
    const { metrics, observe, setNow } = setup(died + 80);
    // The decision reaches the audit log, then the `restarting` line; the outcome comes after the settle check.
    observe({ type: 'restarting', host: HOST, container: 'web-1', incidentId: 'inc-8' });
    setNow(died + 4_000);
    const restart = makeRecord({ incidentId: 'inc-8', decision: { action: 'restart', executed: true }, outcome: { status: 'not-running-after-restart', at: '2025-03-01T12:00:03.900Z' } });
    observe({ type: 'incident', record: restart });
    setNow(died + 4_010);
    observe({ type: 'incident', record: { ...restart, occurrence: 2, decision: { ...restart.decision, action: 'escalate', guardrail: 'restart-did-not-help', executed: false } } });
    const latency = await values(metrics, 'doctor_incident_record_seconds');
    assert.equal(latency.find((v) => v.metricName === 'doctor_incident_record_seconds_count')?.value, 1);
    assert.equal(latency.find((v) => v.metricName === 'doctor_incident_record_seconds_sum')?.value, 0.08);
    // A later death of the same container is a trigger of its own, timed again.
    setNow(died + 60_050);
    observe({ type: 'incident', record: { ...restart, occurrence: 3, trigger: { ...restart.trigger, at: '2025-03-01T12:01:00.000Z' }, decision: { ...restart.decision, action: 'escalate', executed: false } } });
    const again = await values(metrics, 'doctor_incident_record_seconds');
    assert.equal(again.find((v) => v.metricName === 'doctor_incident_record_seconds_count')?.value, 2);
  });

  test('cycles, repeats, recoveries and engine errors count per host; the default socket is "local"', async () => {
    const { metrics, observe } = setup(Date.now());
    const events: FeedEvent[] = [
      { type: 'cycle', host: '', targets: 3, durationMs: 40, at: '' },
      { type: 'cycle', host: 'tcp://b:2375', targets: 1, durationMs: 10, at: '' },
      { type: 'repeat', host: '', container: 'a', incidentId: 'i', count: 2 },
      { type: 'recovered', host: '', container: 'a', incidentId: 'i', afterMs: 1 },
      { type: 'engine-down', host: 'tcp://b:2375', error: 'x', retryInMs: 1 },
    ];
    for (const e of events) observe(e);
    assert.deepEqual((await values(metrics, 'doctor_cycles_total')).map((v) => [v.labels['host'], v.value]), [['local', 1], ['tcp://b:2375', 1]]);
    assert.deepEqual((await values(metrics, 'doctor_repeats_total')).map((v) => v.value), [1]);
    assert.deepEqual((await values(metrics, 'doctor_recoveries_total')).map((v) => v.labels['host']), ['local']);
    assert.deepEqual((await values(metrics, 'doctor_engine_errors_total')).map((v) => v.labels['host']), ['tcp://b:2375']);
  });

  test('an event kind it does not know is ignored, not an error', async () => {
    const { metrics, observe } = setup(Date.now());
    assert.doesNotThrow(() => observe({ type: 'judged-by-story', whatever: 1 } as unknown as FeedEvent));
    assert.deepEqual(await values(metrics, 'doctor_incidents_total'), []);
  });

  test('channels are a label; build info names the version', async () => {
    const { metrics } = setup(Date.now());
    const { text } = await metrics.render();
    assert.match(text, /^doctor_notifications_total\{channel="slack",result="delivered"\} 3$/m);
    assert.match(text, /^doctor_notifications_total\{channel="slack",result="failed"\} 1$/m);
    assert.match(text, /^doctor_notifications_total\{channel="ntfy:\/\/ntfy.example\/alerts",result="delivered"\} 2$/m);
    assert.match(text, /^doctor_channel_failing\{channel="ntfy:\/\/ntfy.example\/alerts"\} 1$/m);
    assert.match(text, /^doctor_build_info\{version="9\.9\.9",nodejs_version="v\d+\.\d+\.\d+"\} 1$/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.doesNotMatch(text, /nodejs_active_handles_total/);
  });
});
