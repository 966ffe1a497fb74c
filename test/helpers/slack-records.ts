/** Audit records for the Slack tests: a realistic default, overridable field by field. */
import type { AuditRecord, Decision, Diagnosis, Evidence, Outcome } from '../../src/core/types.js';

export interface RecordOverrides {
  readonly incidentId?: string;
  readonly name?: string;
  readonly time?: string;
  readonly occurrence?: number;
  readonly diagnosis?: Partial<Diagnosis>;
  readonly evidence?: Partial<Evidence>;
  readonly decision?: Partial<Decision>;
  readonly outcome?: Partial<Outcome>;
  readonly rulesDiagnosis?: Diagnosis;
  readonly aiNote?: string;
}

export function makeRecord(o: RecordOverrides = {}): AuditRecord {
  const name = o.name ?? 'web-1';
  const time = o.time ?? '2025-03-01T12:00:00.000Z';
  return {
    v: 1,
    incidentId: o.incidentId ?? 'inc-0001',
    occurrence: o.occurrence ?? 1,
    time,
    container: { id: 'c0ffee', name, image: 'acme/web:1.4', host: 'unix:///var/run/docker.sock' },
    trigger: { kind: 'die', at: time, event: 'die' },
    evidence: {
      status: 'exited',
      exitCode: 137,
      oomKilled: true,
      health: 'none',
      healthOutput: null,
      restartCount: 0,
      restartPolicy: 'no',
      stoppedByUser: false,
      matchedLines: ['FATAL: JavaScript heap out of memory'],
      patterns: ['out of memory'],
      logTail: ['starting', 'FATAL: JavaScript heap out of memory'],
      stateError: '',
      finishedAt: time,
      ...o.evidence,
    },
    signature: 'sig-oom',
    diagnosis: {
      root_cause: 'The process ran out of memory and the kernel killed it.',
      severity: 'high',
      suggested_fix: 'Raise the memory limit or fix the leak.',
      auto_restart_safe: true,
      config_suggestions: ['Set mem_limit: 512m', 'Add a healthcheck'],
      likely_recurring: false,
      estimated_impact: 'The web front end is down until restarted.',
      source: 'rules',
      rule: 'oom-kill',
      ...o.diagnosis,
    },
    ...(o.rulesDiagnosis ? { rulesDiagnosis: o.rulesDiagnosis } : {}),
    ...(o.aiNote ? { aiNote: o.aiNote } : {}),
    decision: {
      action: 'restart',
      reason: 'OOM kill, first time this hour; restart is safe.',
      guardrail: null,
      executed: true,
      decidedBy: 'rules',
      ...o.decision,
    },
    outcome: { status: 'restarted', detail: 'running again after 2 s', at: time, ...o.outcome },
  };
}
