/**
 * The storm's host-level records (issue 12): the one alert when it begins, the closing record when
 * it settles, and the record of the restarts withheld when the first one after it did not hold.
 */
import type { StormSignal } from '../core/storm.js';
import type { AuditRecord, ContainerRef, Evidence, GroupMember } from '../core/types.js';

/** What the records tell of a storm. */
export interface StormView {
  readonly incidentId: string;
  readonly startedAt: number;
  readonly cause: string;
  readonly members: ReadonlyMap<string, StormSignal>;
}

/** The host-level record: `summary` when the storm begins (the one alert), `member` (recorded only) when it settles. */
export function stormRecord(host: string, storm: StormView, size: number, windowMs: number, role: 'summary' | 'member', now: number): AuditRecord {
  const members: GroupMember[] = [...storm.members.values()].map((s) => ({
    container: { id: s.id, name: s.name, image: '', host },
    via: s.kind === 'die' ? `died (exit code ${s.exitCode ?? 'unknown'})` : s.kind === 'oom' ? 'OOM-killed' : 'unhealthy',
    action: 'none', guardrail: 'storm', outcome: 'not-acted', detail: role === 'summary' ? 'held until the storm settles' : 'judged on its own now',
  }));
  const names = members.map((m) => m.container.name).join(', ');
  const settled = role === 'member';
  const engineRef: ContainerRef = { id: '', name: host || 'local engine', image: '', host };
  const reason = settled
    ? `the storm settled (no failure for ${Math.round(windowMs / 1000)} s, ${members.length} containers in all); each is judged on its own now, one restart first`
    : `${members.length} containers failed within ${Math.round(windowMs / 1000)} s (STORM_THRESHOLD ${size}): ${names}. Likely cause: ${storm.cause}. No automatic restarts until it settles`;
  return {
    v: 1, incidentId: storm.incidentId, occurrence: settled ? 2 : 1, time: new Date(now).toISOString(), container: engineRef,
    trigger: { kind: 'storm', at: new Date(storm.startedAt).toISOString() }, evidence: hostEvidence(), signature: 'storm',
    diagnosis: {
      root_cause: `A host-level storm: ${members.length} containers failed together (${names}). Likely cause: ${storm.cause}.`,
      severity: 'high',
      suggested_fix: 'Look at the host first: free memory (dmesg, free -m), disk space (df -h), and the Docker daemon (journalctl -u docker). The doctor judges each container once the storm settles.',
      auto_restart_safe: false, config_suggestions: [], likely_recurring: false,
      estimated_impact: `${members.length} containers on ${host || 'the local engine'}.`,
      source: 'rules', rule: 'storm', failureClass: 'host', recognised: true,
    },
    decision: { action: settled ? 'none' : 'escalate', guardrail: 'storm', reason, executed: false, decidedBy: 'rules' },
    outcome: { status: 'not-acted', detail: settled ? 'storm settled' : 'held: no restarts while it lasts', at: new Date(now).toISOString() },
    group: { kind: 'storm', role, members, cause: storm.cause },
  };
}

/** The host-level record when the first restart after a storm did not hold: the one alert for those not restarted. */
export function withheldRecord(host: string, storm: StormView, reason: string, rest: readonly StormSignal[], now: number): AuditRecord {
  const base = stormRecord(host, storm, storm.members.size, 0, 'summary', now);
  const members: GroupMember[] = rest.map((s) => ({
    container: { id: s.id, name: s.name, image: '', host }, via: 'held through the storm',
    action: 'escalate', guardrail: 'storm', outcome: 'not-acted', detail: 'not restarted: the first restart after the storm did not hold',
  }));
  return {
    ...base, occurrence: 3,
    diagnosis: { ...base.diagnosis, root_cause: `After the storm (likely cause: ${storm.cause}), the first container restarted did not stay up.`, suggested_fix: 'Check the host before starting the others (dmesg, free -m, df -h, journalctl -u docker); then docker start them.' },
    decision: { action: 'escalate', guardrail: 'storm', reason, executed: false, decidedBy: 'rules' },
    outcome: { status: 'not-acted', detail: 'restarts withheld after the storm', at: new Date(now).toISOString() },
    group: { kind: 'storm', role: 'summary', members, cause: storm.cause },
  };
}

function hostEvidence(): Evidence {
  return {
    status: 'running', exitCode: null, oomKilled: false, health: 'none', healthOutput: null, restartCount: 0, restartPolicy: 'no',
    stoppedByUser: false, matchedLines: [], patterns: [], logTail: [], stateError: '', finishedAt: null,
  };
}
