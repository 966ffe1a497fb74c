/**
 * What people asked for, applied between the judge's decision and the act stage (pure):
 * maintenance (a label or a recurring window) and snoozes hold actions and alerts back; a
 * "never auto-restart" override turns a restart into an escalation; AUTO_FIX=ask turns it into a
 * proposal; quiet hours hold back alerts below a severity floor (actions are not affected).
 *
 * The incident is recorded either way (the audit log sees everything); only what the doctor does
 * and who is told changes. docs/decision-rules.md, "People in the loop".
 */
import { isApprovable, personName } from './approval.js';
import { formatDuration } from './format.js';
import { activeQuietHours, activeWindow, labelMaintenance, type DailySpan, type RecurringWindow } from './quiet-periods.js';
import { severityRank } from './rules/index.js';
import type { ContainerFacts, Decision, IncidentMemory, Person, Severity } from './types.js';

/** A person's standing instructions for one container (persisted in STATE_DIR). */
export interface ContainerHolds {
  /** No alerts and no action until `until` (ms). */
  readonly snooze?: { readonly until: number; readonly by: Person; readonly at: number };
  /** Never restart it automatically (the same as the doctor.restart=never label), until revoked. */
  readonly never?: { readonly by: Person; readonly at: number };
}

/** Everything the gate reads besides the decision. */
export interface PeopleInput {
  /** AUTO_FIX=ask. */
  readonly askFirst: boolean;
  readonly approvalTimeoutMs: number;
  readonly holds: ContainerHolds;
  readonly windows: readonly RecurringWindow[];
  readonly quietHours?: DailySpan;
  /** Alerts of this severity or above are sent even in quiet hours. */
  readonly quietFloor: Severity;
  /** Undefined: the host's own zone. */
  readonly timeZone: string | undefined;
}

/** What the gate made of the decision. */
export interface GateResult {
  readonly decision: Decision;
  /** People are not told (maintenance, snooze); the audit log still records it. */
  readonly silenced?: string;
  /** Quiet hours: the alert waits until then (ms). */
  readonly alertAfter?: number;
  /** Judge it again then (the end of the window or snooze): anything still broken is decided then. */
  readonly lookAgainAt?: number;
  /** This escalation waits for an approval until then (ms); `ask`: it was a restart AUTO_FIX=ask held back. */
  readonly proposal?: { readonly ask: boolean; readonly expiresAt: number; readonly startedAt: string | null };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Applies people's instructions to one decision. `manual` (`doctor diagnose --fix`) and an
 * approved decision pass untouched: a person is acting right now.
 */
export function gatePeople(input: {
  readonly decision: Decision;
  readonly facts: ContainerFacts;
  readonly severity: Severity;
  readonly people: PeopleInput;
  readonly open?: IncidentMemory;
  readonly manual: boolean;
  readonly now: number;
}): GateResult {
  const { decision, facts, severity, people, open, manual, now } = input;
  if (manual || decision.approvedBy) return { decision };
  const acting = decision.action !== 'none';
  const would = decision.action === 'restart' ? 'would restart' : 'would escalate';

  const maintenance = labelMaintenance(facts.labels, now) ?? activeWindow(people.windows, now, people.timeZone);
  if (maintenance && acting) {
    return {
      decision: { ...decision, action: 'none', guardrail: 'maintenance', reason: `${would} (${decision.reason}); in maintenance until ${iso(maintenance.until)} (${maintenance.why}): no action and no alert, judged again when it ends` },
      silenced: `maintenance until ${iso(maintenance.until)}`,
      lookAgainAt: maintenance.until,
    };
  }
  const { snooze, never } = people.holds;
  if (snooze && snooze.until > now && acting) {
    return {
      decision: { ...decision, action: 'none', guardrail: 'snoozed', reason: `${would} (${decision.reason}); snoozed by ${personName(snooze.by)} until ${iso(snooze.until)}: no action and no alert, judged again when it ends` },
      silenced: `snoozed until ${iso(snooze.until)}`,
      lookAgainAt: snooze.until,
    };
  }

  let gated = decision;
  let proposal: GateResult['proposal'];
  if (decision.action === 'restart' && never) {
    gated = { ...decision, action: 'escalate', guardrail: 'override-never', reason: `would restart (${decision.reason}); ${personName(never.by)} set "never auto-restart" at ${iso(never.at)}, so a person decides (revoke with doctor unsnooze --override)` };
  } else if (decision.action === 'restart' && people.askFirst) {
    if (open?.lastGuardrail === 'not-approved' || open?.lastGuardrail === 'awaiting-approval') {
      // Asked already for this open incident: the answer (or its absence) stands until a new one.
      gated = { ...decision, action: 'escalate', guardrail: open.lastGuardrail, reason: `would restart (${decision.reason}); AUTO_FIX=ask and this incident was already proposed` };
    } else {
      const expiresAt = now + people.approvalTimeoutMs;
      gated = { ...decision, action: 'escalate', guardrail: 'awaiting-approval', reason: `would restart (${decision.reason}); AUTO_FIX=ask, so the restart waits for a person's approval until ${iso(expiresAt)} (APPROVAL_TIMEOUT ${formatDuration(people.approvalTimeoutMs)})` };
      proposal = { ask: true, expiresAt, startedAt: facts.startedAt };
    }
  }
  if (!proposal && isApprovable({ decision: gated })) proposal = { ask: false, expiresAt: now + people.approvalTimeoutMs, startedAt: facts.startedAt };

  const quiet = activeQuietHours(people.quietHours, now, people.timeZone);
  const below = severityRank(severity) < severityRank(people.quietFloor);
  return {
    decision: gated,
    ...(proposal ? { proposal } : {}),
    ...(quiet && below ? { alertAfter: quiet.until } : {}),
  };
}
