import type { BackendStats } from '../llm/diagnoser-chain.js';
import type { ChannelStats } from '../notify/delivery-queue.js';
import type { EngineHealth } from './health-server.js';

/** Numbers the endpoint reports; assembled by the watch command from the pipeline and adapters. */
export interface MetricsSnapshot {
  readonly uptimeSeconds: number;
  readonly totals: {
    readonly incidents: number;
    readonly restarts: number;
    readonly restartFailures: number;
    readonly escalations: number;
    readonly repeats: number;
    readonly recoveries: number;
    readonly cycles: number;
  };
  readonly restartsPerContainer: Readonly<Record<string, number>>;
  readonly diagnoses: {
    readonly enabled: boolean;
    readonly remainingThisHour: number;
    readonly calls: number;
    readonly failures: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly estimatedCostUsd: number | null;
  };
  readonly slack: {
    readonly enabled: boolean;
    readonly delivered: number;
    readonly failed: number;
    readonly dropped: number;
    readonly failing: boolean;
    /** Why the last message failed (never contains the webhook URL). */
    readonly lastError: string | null;
    readonly lastErrorAt: string | null;
    readonly lastDeliveredAt: string | null;
  };
  /** Every channel (SLACK_WEBHOOK_URL and NOTIFY_URLS), named by its redacted URL. */
  readonly channels?: ReadonlyArray<ChannelStats & { readonly channel: string }>;
  /** Every DIAGNOSIS_BACKENDS entry. */
  readonly backends?: readonly BackendStats[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text exposition format 0.0.4. */
export function renderMetrics(s: MetricsSnapshot, engines: readonly EngineHealth[]): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
  };
  metric('doctor_incidents_total', 'counter', 'Incidents recorded in the audit log.', [['', s.totals.incidents]]);
  metric('doctor_restarts_total', 'counter', 'Restarts the doctor issued.', [['', s.totals.restarts]]);
  metric('doctor_restart_failures_total', 'counter', 'Restarts after which the container was not running.', [['', s.totals.restartFailures]]);
  metric('doctor_escalations_total', 'counter', 'Incidents escalated to a person.', [['', s.totals.escalations]]);
  metric('doctor_repeats_total', 'counter', 'Repeats of an already recorded incident.', [['', s.totals.repeats]]);
  metric('doctor_cycles_total', 'counter', 'Reconcile cycles completed.', [['', s.totals.cycles]]);
  metric(
    'doctor_container_restarts_total',
    'counter',
    'Restarts the doctor issued, per container.',
    Object.entries(s.restartsPerContainer).map(([name, n]) => [`{container="${escapeLabel(name)}"}`, n]),
  );
  metric('doctor_diagnoses_total', 'counter', 'Claude diagnosis calls.', [['', s.diagnoses.calls]]);
  metric('doctor_diagnosis_failures_total', 'counter', 'Claude diagnosis calls that failed.', [['', s.diagnoses.failures]]);
  metric('doctor_diagnoses_remaining', 'gauge', 'Claude diagnoses left in the sliding hour.', [['', s.diagnoses.remainingThisHour]]);
  metric('doctor_tokens_total', 'counter', 'Tokens used by Claude diagnoses.', [
    ['{kind="input"}', s.diagnoses.inputTokens],
    ['{kind="output"}', s.diagnoses.outputTokens],
  ]);
  metric('doctor_slack_delivered_total', 'counter', 'Slack messages delivered.', [['', s.slack.delivered]]);
  metric('doctor_delivery_failures_total', 'counter', 'Slack messages given up on or dropped.', [['', s.slack.failed + s.slack.dropped]]);
  metric('doctor_slack_failing', 'gauge', 'Whether the last Slack message was given up on.', [['', s.slack.failing ? 1 : 0]]);
  const channels = s.channels ?? [];
  const ch = (n: { channel: string }) => `{channel="${escapeLabel(n.channel)}"}`;
  metric('doctor_notify_delivered_total', 'counter', 'Messages delivered, per channel.', channels.map((c) => [ch(c), c.delivered]));
  metric('doctor_notify_failures_total', 'counter', 'Messages given up on or dropped, per channel.', channels.map((c) => [ch(c), c.failed + c.dropped]));
  metric('doctor_notify_queued', 'gauge', 'Messages waiting, per channel.', channels.map((c) => [ch(c), c.queued]));
  metric('doctor_notify_failing', 'gauge', 'Whether the last message on the channel was given up on.', channels.map((c) => [ch(c), c.failing ? 1 : 0]));
  const backends = s.backends ?? [];
  const be = (b: BackendStats) => `{backend="${escapeLabel(b.backend)}"}`;
  metric('doctor_diagnosis_backend_calls_total', 'counter', 'Diagnosis calls, per backend.', backends.map((b) => [be(b), b.calls]));
  metric('doctor_diagnosis_backend_failures_total', 'counter', 'Diagnosis calls that failed or gave an invalid answer, per backend.', backends.map((b) => [be(b), b.failures]));
  metric('doctor_diagnosis_backend_latency_seconds_total', 'counter', 'Time spent waiting for each backend.', backends.map((b) => [be(b), b.latencyMsTotal / 1000]));
  metric('doctor_diagnosis_backend_tokens_total', 'counter', 'Tokens used, per backend.', backends.flatMap((b): Array<[string, number]> => [
    [`{backend="${escapeLabel(b.backend)}",kind="input"}`, b.inputTokens],
    [`{backend="${escapeLabel(b.backend)}",kind="output"}`, b.outputTokens],
  ]));
  metric(
    'doctor_engine_up',
    'gauge',
    'Whether the Docker Engine is reachable and its events stream is followed.',
    engines.map((e) => [`{host="${escapeLabel(e.host || 'local')}"}`, e.connected && e.eventsStreaming ? 1 : 0]),
  );
  metric(
    'doctor_targets',
    'gauge',
    'Containers watched.',
    engines.map((e) => [`{host="${escapeLabel(e.host || 'local')}"}`, e.targets]),
  );
  metric(
    'doctor_cycle_duration_seconds',
    'gauge',
    'Duration of the last reconcile cycle.',
    engines.filter((e) => e.lastCycleMs !== null).map((e) => [`{host="${escapeLabel(e.host || 'local')}"}`, e.lastCycleMs! / 1000]),
  );
  metric('doctor_uptime_seconds', 'gauge', 'Seconds since the doctor started.', [['', Math.round(s.uptimeSeconds)]]);
  return `${out.join('\n')}\n`;
}
