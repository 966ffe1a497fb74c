/**
 * Slack messages for incidents, recoveries and storm digests, as Block Kit JSON.
 *
 * Pure: the Slack adapter only posts what these functions return. Every message stays inside
 * Block Kit's limits (https://docs.slack.dev/reference/block-kit/blocks): too-long text is cut
 * with a visible marker, because Slack rejects the whole message (`invalid_blocks`) otherwise.
 */
import { formatCompactDuration } from './format.js';
import type { Action, AuditRecord, Guardrail, Outcome, Severity, TriggerKind } from './types.js';
import { describeDiagnosisSource, isAiDiagnosis } from './diagnosis-source.js';

/** A Block Kit text object. */
export interface TextObject {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
}

/** The Block Kit blocks the doctor uses. */
export type Block =
  | { readonly type: 'header'; readonly text: TextObject & { readonly type: 'plain_text' } }
  | { readonly type: 'section'; readonly text?: TextObject; readonly fields?: readonly TextObject[] }
  | { readonly type: 'context'; readonly elements: readonly TextObject[] }
  | { readonly type: 'divider' };

/** The body of an incoming-webhook post: `text` is the notification and screen-reader fallback. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: Block[];
}

/** What every builder needs besides the records. */
export interface AlertOptions {
  /** Names the machine the doctor runs on, shown in the context line. */
  readonly hostLabel: string;
  /** Applied to every string that came from logs or a diagnosis before it is posted. */
  readonly redact: (s: string) => string;
}

/** A recovery that the digest should list beside incidents. */
export interface RecoveryEntry {
  readonly record: AuditRecord;
  readonly recoveredAt: string;
}

/** Block Kit limits, from the block reference pages. */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 2000,
} as const;

/** Slack shows at most this much of `text` in a notification; keep the fallback to one line. */
const FALLBACK_TEXT_MAX = 300;
export const CUT_MARKER = '…(cut)';

export const SEVERITY_MARKER: Record<Severity, string> = {
  high: '🔴',
  medium: '🟠',
  low: '🟡',
};

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

/** True when `severity` is at least `min`. */
export function isSeverityAtLeast(severity: Severity, min: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[min];
}

/**
 * Whether an incident is worth a Slack post: at or above `minSeverity`, or whatever the
 * severity when a person has to act: the doctor escalated, a restart failed, or the container
 * is down. A clean exit (code 0) or a stop by a person is not "down" in that sense.
 */
export function shouldPostIncident(record: AuditRecord, minSeverity: Severity): boolean {
  // Old exits found at start-up (compose leftovers, stopped experiments) are history, not news:
  // recorded, never paged about.
  if (record.decision.guardrail === 'stale-exit') return false;
  if (isSeverityAtLeast(record.diagnosis.severity, minSeverity)) return true;
  const { decision, evidence, outcome } = record;
  if (decision.action === 'escalate') return true;
  if (outcome.status === 'restart-failed' || outcome.status === 'not-running-after-restart') return true;
  const intended = decision.guardrail === 'completed' || decision.guardrail === 'manual-stop' || evidence.stoppedByUser;
  return evidence.status !== 'running' && !intended;
}

export const GUARDRAIL_LABEL: Record<Guardrail, string> = {
  'observe-only': 'observe-only mode (AUTO_FIX=false)',
  'crash-loop': 'crash loop',
  'restart-throttle': 'throttled: too many restarts this hour',
  'manual-stop': 'stopped by a person',
  completed: 'exited cleanly (code 0)',
  'restart-policy-pending': "waiting for Docker's restart policy",
  'restart-cannot-fix': 'a restart cannot fix this',
  'label-never': 'label doctor.restart=never',
  'stateful-image': 'stateful service',
  'oom-recurring': 'repeated out-of-memory kills',
  self: "the doctor's own container",
  'not-safe': 'diagnosis says a restart is not clearly safe',
  'stale-exit': 'exited long before the doctor started watching',
  'still-running': 'still running: reported, not restarted',
  removed: 'auto-removed (--rm): never restarted',
  job: 'a job or one-off container: never re-run',
  'unknown-stop': 'found down; cannot tell whether a person stopped it',
  'stop-ignored': "it ignored a person's stop signal, then failed",
  'restart-did-not-help': 'an earlier restart did not help',
  'awaiting-approval': 'waiting for a person to approve the restart (AUTO_FIX=ask)',
  'not-approved': 'restart not approved in time (AUTO_FIX=ask)',
  'override-never': 'a person set "never auto-restart"',
  snoozed: 'snoozed by a person',
  maintenance: 'maintenance window',
  'dependency-down': 'a service it depends on is down',
  'namespace-gone': 'the container whose network it shares was recreated',
  storm: 'many containers failed at once (host problem)',
};

export const TRIGGER_LABEL: Record<TriggerKind, string> = {
  die: 'exited',
  oom: 'OOM-killed',
  unhealthy: 'unhealthy',
  restarting: 'restart loop',
  'log-pattern': 'errors in logs',
  exited: 'found exited',
  manual: 'diagnosed on request',
  neighbour: 'a container it depends on restarted',
  storm: 'many containers failed at once',
};

export const ACTION_LABEL: Record<Action, string> = {
  restart: 'Restart',
  escalate: 'Escalated to a person (no restart)',
  none: 'No action',
};

export const OUTCOME_LABEL: Record<Outcome['status'], string> = {
  restarted: '✅ restarted and running',
  'restart-failed': '❌ restart failed',
  'not-running-after-restart': '❌ not running after the restart',
  'not-acted': 'not acted on',
  pending: '⏳ restart issued, outcome not yet verified',
  'stopped-by-person': 'stopped by a person during the restart (their stop stands)',
  'paused-by-person': 'paused by a person during the restart (left paused)',
  'restarted-by-person': 'restarted again by a person during the restart (a person took over)',
  'removed-by-person': 'removed by a person or tool during the restart (a person took over)',
  'recovered-by-docker': "✅ recovered by Docker's restart policy",
};

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cuts `s` to at most `max` UTF-16 units, ending with the cut marker. Never splits a surrogate
 * pair or an mrkdwn escape (`&amp;`), so the result is always valid text for Slack.
 */
export function cutText(s: string, max: number, marker: string = CUT_MARKER): string {
  if (s.length <= max) return s;
  if (max <= marker.length) return marker.slice(0, max);
  let head = s.slice(0, max - marker.length);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  head = head.replace(/&[a-z]{0,3}$/, '');
  return head + marker;
}


/** Issue 12: the root the failure is attributed to, or every container of a group (dependents, a storm). */
function neighbourLines(record: AuditRecord, clean: Clean): string | null {
  const parts: string[] = [];
  if (record.rootCause) {
    const r = record.rootCause;
    parts.push(`🔗 *${escapeMrkdwn(record.container.name)} is failing because ${escapeMrkdwn(r.root.name)} is ${r.state}* (\`${clean(r.address)}\` is its ${r.via}); not restarted while ${escapeMrkdwn(r.root.name)} is ${r.state}.`);
  }
  const members = record.group?.role === 'summary' ? (record.group.members ?? []) : [];
  if (members.length > 0) {
    const title = record.group?.kind === 'storm' ? `*${members.length} containers in the storm*${record.group.cause ? ` (likely cause: ${clean(record.group.cause)})` : ''}` : `*Its dependents, in order*`;
    const shown = members.slice(0, 20).map((m) => `\`${escapeMrkdwn(m.container.name)}\` (${clean(m.via)}): ${m.action === 'restart' ? clean(m.outcome) : m.action === 'escalate' ? `needs a person${m.guardrail ? `, ${GUARDRAIL_LABEL[m.guardrail]}` : ''}` : clean(m.detail)}`);
    if (members.length > shown.length) shown.push(`and ${members.length - shown.length} more`);
    parts.push(bulletList(title, shown));
  }
  return parts.length > 0 ? parts.join('\n') : null;
}

/** Builds the alert for one incident. */
export function buildIncidentMessage(record: AuditRecord, opts: AlertOptions): SlackMessage {
  const clean = cleaner(opts);
  const { diagnosis: dx, outcome, evidence, container } = record;
  const blocks: Block[] = [header(`${SEVERITY_MARKER[dx.severity]} ${container.name}: ${describeProblem(record)}`)];

  const loud = loudLine(record, clean);
  if (loud) blocks.push(section(loud));
  const neighbours = neighbourLines(record, clean);
  if (neighbours) blocks.push(section(neighbours));

  blocks.push({
    type: 'section',
    fields: [
      field(`*Severity*\n${dx.severity}${record.occurrence > 1 ? ` (seen ${record.occurrence} times)` : ''}`),
      field(
        `*Container*\n\`${escapeMrkdwn(container.name)}\`\nimage \`${escapeMrkdwn(container.image)}\`\nengine ${escapeMrkdwn(container.host)}`,
      ),
      field(`*Root cause*\n${clean(dx.root_cause)}`),
      field(`*Fix*\n${clean(dx.suggested_fix)}`),
    ],
  });

  if (dx.config_suggestions.length > 0) {
    blocks.push(section(bulletList('*Config suggestions*', dx.config_suggestions.map(clean))));
  }
  if (dx.estimated_impact.trim() !== '') blocks.push(section(`*Estimated impact*\n${clean(dx.estimated_impact)}`));

  blocks.push(section(`*What the doctor did*\n${describeDecision(record, clean)}\n*Result:* ${describeOutcome(outcome, clean)}`));

  const lines = evidence.matchedLines.length > 0 ? evidence.matchedLines : evidence.stateError ? [evidence.stateError] : [];
  if (lines.length > 0) blocks.push(section(codeBlock('*Matched log lines*', lines.map(clean))));

  blocks.push(context([diagnosisSource(record, clean), contextLine(opts.hostLabel, record.incidentId, record.time)]));

  // What the doctor did comes before the root cause: a long cause is what the one-line cut drops.
  const fallback = `${SEVERITY_MARKER[dx.severity]} [${dx.severity}] ${container.name}: ${describeProblem(record)} (${actionWord(record)}). ${dx.root_cause}`;
  return finish(fallback, blocks, clean);
}

/** Builds the short follow-up posted when a container the doctor acted on is healthy again. */
export function buildRecoveryMessage(record: AuditRecord, recoveredAt: string, opts: AlertOptions): SlackMessage {
  const clean = cleaner(opts);
  const name = record.container.name;
  const took = timeToRecovery(record.time, recoveredAt);
  const blocks: Block[] = [
    header(`✅ ${name}: recovered${took ? ` after ${took}` : ''}`),
    section(
      `\`${escapeMrkdwn(name)}\` is healthy again${took ? ` *${took}*` : ''} after the incident.\n` +
        `*Was:* ${clean(record.diagnosis.root_cause)}\n*Doctor did:* ${ACTION_LABEL[record.decision.action]}`,
    ),
    context([contextLine(opts.hostLabel, record.incidentId, recoveredAt)]),
  ];
  return finish(`✅ ${name} recovered${took ? ` after ${took}` : ''} (incident ${record.incidentId})`, blocks, clean);
}

/**
 * Builds one message that stands for many incidents (and recoveries) during an alert storm, so the
 * channel gets one post instead of a flood. Lists container, severity, root cause and action.
 */
export function buildDigestMessage(
  records: readonly AuditRecord[],
  opts: AlertOptions & { readonly recoveries?: readonly RecoveryEntry[] },
): SlackMessage {
  const clean = cleaner(opts);
  const recoveries = opts.recoveries ?? [];
  const high = records.filter((r) => r.diagnosis.severity === 'high').length;
  const containers = new Set(records.map((r) => r.container.name)).size;
  const title =
    `⚠️ Alert storm: ${plural(records.length, 'incident')} on ${plural(containers, 'container')}` +
    (recoveries.length > 0 ? `, ${plural(recoveries.length, 'recovery', 'recoveries')}` : '');

  const lines = [
    ...records.map((r) => {
      const cause = cutText(clean(r.diagnosis.root_cause), 300);
      return `${SEVERITY_MARKER[r.diagnosis.severity]} \`${escapeMrkdwn(r.container.name)}\` ${r.diagnosis.severity}: ${cause} _(${actionWord(r)})_`;
    }),
    ...recoveries.map(
      (e) => `✅ \`${escapeMrkdwn(e.record.container.name)}\` recovered${withTook(timeToRecovery(e.record.time, e.recoveredAt))}`,
    ),
  ];

  // Header, intro, context and the "more" line leave the rest of the 50 blocks for the list.
  const listBlocks = packLines(lines, SLACK_LIMITS.blocks - 4);
  const blocks: Block[] = [
    header(title),
    section(`Too many alerts to post one by one${high > 0 ? ` (*${high} high*)` : ''}; one line each:`),
    ...listBlocks.blocks.map(section),
  ];
  if (listBlocks.left > 0) blocks.push(section(`…and ${listBlocks.left} more: see the audit log or \`/history\`.`));
  const first = records[0]?.time ?? recoveries[0]?.recoveredAt;
  const last = records.at(-1)?.time ?? recoveries.at(-1)?.recoveredAt;
  blocks.push(
    context([
      `host *${escapeMrkdwn(opts.hostLabel)}*${first && last ? ` · ${slackDate(first)} – ${slackDate(last)}` : ''}`,
    ]),
  );
  return finish(title, blocks, clean);
}

type Clean = (s: string) => string;

/** Redact, then escape: data never reaches mrkdwn unescaped. */
function cleaner(opts: AlertOptions): Clean {
  return (s) => escapeMrkdwn(opts.redact(s));
}

export function describeProblem(record: AuditRecord): string {
  const { evidence, trigger } = record;
  if (evidence.oomKilled || trigger.kind === 'oom') return 'OOM-killed';
  if ((trigger.kind === 'die' || trigger.kind === 'exited') && evidence.exitCode !== null) {
    return `exited with code ${evidence.exitCode}`;
  }
  return TRIGGER_LABEL[trigger.kind];
}

function loudLine(record: AuditRecord, clean: Clean): string | null {
  const { decision, diagnosis, outcome } = record;
  const parts: string[] = [];
  if (decision.action === 'escalate') {
    const why = decision.guardrail ? GUARDRAIL_LABEL[decision.guardrail] : clean(decision.reason);
    parts.push(`🚨 *Needs a person: ${why}.* The doctor did not restart it.`);
  }
  if (outcome.status === 'restart-failed' || outcome.status === 'not-running-after-restart') {
    parts.push(`🚨 *The restart did not work:* ${clean(outcome.detail)}`);
  }
  if (diagnosis.likely_recurring) {
    parts.push(
      `🔁 *Likely to happen again*${record.occurrence > 1 ? ` (occurrence ${record.occurrence})` : ''}: a restart will not make it go away.`,
    );
  }
  return parts.length > 0 ? parts.join('\n') : null;
}

function describeDecision(record: AuditRecord, clean: Clean): string {
  const { decision } = record;
  const action =
    decision.action === 'restart' ? (decision.executed ? 'Restarted the container' : 'Decided to restart (not issued)') : ACTION_LABEL[decision.action];
  const guard = decision.guardrail ? ` (guardrail: ${GUARDRAIL_LABEL[decision.guardrail]})` : '';
  const defer = decision.deferUntil ? `\nLooking again at ${slackDate(decision.deferUntil)}.` : '';
  return `${action}${guard}: ${clean(decision.reason)}${defer}`;
}

function describeOutcome(outcome: Outcome, clean: Clean): string {
  return `${OUTCOME_LABEL[outcome.status]}${outcome.detail ? `: ${clean(outcome.detail)}` : ''}`;
}

function diagnosisSource(record: AuditRecord, clean: Clean): string {
  const dx = record.diagnosis;
  const by = describeDiagnosisSource(dx, (id) => `\`${escapeMrkdwn(id)}\``);
  const second = record.rulesDiagnosis && isAiDiagnosis(dx) ? `; rules said: ${clean(record.rulesDiagnosis.root_cause)}` : '';
  const note = record.aiNote ? `; ${clean(record.aiNote)}` : '';
  return `Diagnosis by ${by}${second}${note}`;
}

export function actionWord(record: AuditRecord): string {
  const { decision } = record;
  if (decision.action === 'restart') return decision.executed ? 'restarted' : 'restart pending';
  if (decision.action === 'escalate') return `escalated${decision.guardrail ? `: ${GUARDRAIL_LABEL[decision.guardrail]}` : ''}`;
  return 'no action';
}

function contextLine(hostLabel: string, incidentId: string, time: string): string {
  return `host *${escapeMrkdwn(hostLabel)}* · incident \`${escapeMrkdwn(incidentId)}\` · ${slackDate(time)}`;
}

/**
 * Slack renders `<!date^unix^format|fallback>` in each reader's own time zone
 * (https://docs.slack.dev/messaging/formatting-message-text#date-formatting).
 */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
}

export function timeToRecovery(from: string, to: string): string | null {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isNaN(ms) ? null : formatCompactDuration(ms);
}

function withTook(took: string | null): string {
  return took ? ` after ${took}` : '';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: cutText(text, SLACK_LIMITS.headerText), emoji: true } };
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: cutText(text, SLACK_LIMITS.sectionText) } };
}

function field(text: string): TextObject {
  return { type: 'mrkdwn', text: cutText(text, SLACK_LIMITS.fieldText) };
}

function context(texts: readonly string[]): Block {
  return {
    type: 'context',
    elements: texts.slice(0, SLACK_LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: cutText(t, SLACK_LIMITS.contextText) })),
  };
}

/** A titled bullet list that fits one section; items that do not fit are counted, not dropped silently. */
function bulletList(title: string, items: readonly string[]): string {
  let text = title;
  for (let i = 0; i < items.length; i++) {
    const line = `\n• ${cutText(items[i] ?? '', 500)}`;
    // Keep room for the "…and N more" line unless this is the last item.
    const reserve = i < items.length - 1 ? 40 : 0;
    if (text.length + line.length + reserve > SLACK_LIMITS.sectionText) {
      return `${text}\n…and ${items.length - i} more ${CUT_MARKER}`;
    }
    text += line;
  }
  return text;
}

/** A titled code block cut to one section; the closing fence always survives the cut. */
function codeBlock(title: string, lines: readonly string[]): string {
  const fence = '```';
  // A fence inside a log line would end the block early; a zero-width space defuses it.
  const body = lines.map((l) => l.replaceAll(fence, '`\u200b``')).join('\n');
  const budget = SLACK_LIMITS.sectionText - title.length - 2 * fence.length - 2;
  return `${title}\n${fence}${cutText(body, budget)}${fence}`;
}

/** Packs lines into section texts of at most 3000 characters, at most `maxBlocks` of them. */
function packLines(lines: readonly string[], maxBlocks: number): { blocks: string[]; left: number } {
  const blocks: string[] = [];
  let current = '';
  let used = 0;
  for (const raw of lines) {
    const line = cutText(raw, SLACK_LIMITS.sectionText);
    if (current && current.length + 1 + line.length > SLACK_LIMITS.sectionText) {
      if (blocks.length + 1 >= maxBlocks) break;
      blocks.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
    used++;
  }
  if (current) blocks.push(current);
  return { blocks, left: lines.length - used };
}

function finish(fallback: string, blocks: Block[], clean: Clean): SlackMessage {
  const oneLine = clean(fallback.replace(/\s+/g, ' ').trim());
  return { text: cutText(oneLine, FALLBACK_TEXT_MAX), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}
