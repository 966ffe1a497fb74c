/**
 * The Slack app's buttons and answered messages (Block Kit, pure). An escalation a restart could
 * resolve carries Restart now, Snooze 1 h and Never auto-restart; one a restart cannot fix (disk
 * full, missing configuration) carries Snooze only (issue 10). Button values name the incident and
 * the container, so a click is understood by any doctor that has the proposal on file.
 * https://docs.slack.dev/reference/block-kit/blocks/actions-block
 */
import { escapeMrkdwn, type Block } from './alert-blocks.js';
import { isApprovable, personName, type Proposal } from './approval.js';
import type { AuditRecord } from './types.js';

export const ACTION_RESTART = 'doctor_restart';
export const ACTION_SNOOZE = 'doctor_snooze';
export const ACTION_NEVER = 'doctor_never';

/** What a button carries back in its `value` (at most 2,000 characters). */
export interface ButtonValue {
  readonly incidentId: string;
  readonly host: string;
  readonly name: string;
}

interface Button {
  readonly type: 'button';
  readonly action_id: string;
  readonly text: { readonly type: 'plain_text'; readonly text: string };
  readonly value: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: unknown;
}

/** Block Kit blocks as the Web API takes them: the alert's own plus actions. */
export type AppBlock = Block | { readonly type: 'actions'; readonly block_id: string; readonly elements: readonly Button[] };

/** The buttons for one recorded incident, or none (nothing a person needs to do). */
export function buildActions(record: AuditRecord): AppBlock | undefined {
  const { decision } = record;
  if (decision.action !== 'escalate') return undefined;
  const value = JSON.stringify({ incidentId: record.incidentId, host: record.container.host, name: record.container.name } satisfies ButtonValue);
  const snooze: Button = { type: 'button', action_id: ACTION_SNOOZE, text: { type: 'plain_text', text: 'Snooze 1 h' }, value };
  if (!isApprovable(record)) return { type: 'actions', block_id: `doctor-${record.incidentId}`, elements: [snooze] };
  return {
    type: 'actions',
    block_id: `doctor-${record.incidentId}`,
    elements: [
      { type: 'button', action_id: ACTION_RESTART, text: { type: 'plain_text', text: 'Restart now' }, value, style: 'primary' },
      snooze,
      { type: 'button', action_id: ACTION_NEVER, text: { type: 'plain_text', text: 'Never auto-restart' }, value, style: 'danger' },
    ],
  };
}

/** Reads a button's value back; undefined when it is not one of ours. */
export function parseButtonValue(raw: unknown): ButtonValue | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as Partial<ButtonValue>;
    return typeof v.incidentId === 'string' && typeof v.host === 'string' && typeof v.name === 'string' ? { incidentId: v.incidentId, host: v.host, name: v.name } : undefined;
  } catch {
    return undefined;
  }
}

/** The original message without its buttons, with the answer beneath (chat.update). */
export function answeredBlocks(original: readonly Block[], line: string): Block[] {
  return [...original, { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(line).slice(0, 2900) }] }];
}

/** One line for an answered proposal: who, when, what happened. */
export function describeAnswer(p: Proposal): string {
  const who = p.answer?.by ? personName(p.answer.by) : 'nobody';
  const when = p.answer?.at ?? new Date().toISOString();
  switch (p.status) {
    case 'approved':
      return `✅ Restart approved by ${who} at ${when}: ${p.answer?.detail ?? ''}`;
    case 'refused':
      return `⛔ Not restarted (asked by ${who} at ${when}): ${p.answer?.detail ?? ''}`;
    case 'expired':
      return `⌛ ${p.ask ? 'Not approved in time' : 'No longer approvable'} (${when}): ${p.answer?.detail ?? ''}`;
    case 'superseded':
      return `↪️ Superseded (${when}): ${p.answer?.detail ?? ''}`;
    default:
      return `Waiting for approval until ${new Date(p.expiresAt).toISOString()}`;
  }
}
