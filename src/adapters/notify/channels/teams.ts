/**
 * Microsoft Teams through a Power Automate workflow ("Post to a channel when a webhook request is
 * received"), which replaced the retired Office 365 connectors. The workflow expects a message
 * with one Adaptive Card attachment
 * (https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook) and answers 202.
 * URL: the workflow URL with `teams://` in place of `https://`; its query (`api-version`, `sp`,
 * `sv`, `sig`) is kept as is, and `sig` is the secret.
 * Teams rejects messages over about 28 KB (https://learn.microsoft.com/en-us/microsoftteams/limits-specifications-teams).
 */
import { cutText, renderPlainText, TONE_MARKER, type AlertSummary, type AlertTone } from '../../../core/alert-summary.js';
import { ConfigError } from '../../../core/errors.js';
import { endpoint, summaryDriver, type ChannelFactory } from '../channel-driver.js';
import type { HttpRequest } from '../http-send.js';

/** Characters of text in one card: well inside 28 KB once JSON-encoded with the card's structure. */
export const TEAMS_LIMITS = { title: 200, fact: 1500, card: 20_000 } as const;

const TONE_STYLE: Record<AlertTone, string> = { high: 'attention', medium: 'warning', low: 'accent', ok: 'good' };

export function toTeamsBody(s: AlertSummary): unknown {
  const facts = s.fields.map((f) => ({ title: cutText(f.name, 100), value: cutText(f.value, TEAMS_LIMITS.fact) }));
  const used = facts.reduce((n, f) => n + f.title.length + f.value.length, 0) + s.footer.length + 400;
  const lines = s.lines.length > 0 ? renderPlainText({ ...s, fields: [], headline: undefined, footer: '' } as AlertSummary, Math.max(200, TEAMS_LIMITS.card - used)).trim() : '';
  const body: unknown[] = [
    { type: 'TextBlock', text: cutText(`${TONE_MARKER[s.tone]} ${s.title}`, TEAMS_LIMITS.title), weight: 'Bolder', size: 'Medium', wrap: true, color: TONE_STYLE[s.tone] },
  ];
  if (s.headline) body.push({ type: 'TextBlock', text: cutText(s.headline, TEAMS_LIMITS.fact), wrap: true, weight: 'Bolder' });
  if (facts.length > 0) body.push({ type: 'FactSet', facts });
  if (lines) body.push({ type: 'TextBlock', text: lines, wrap: true, fontType: 'Monospace', size: 'Small' });
  body.push({ type: 'TextBlock', text: cutText(s.footer, 1000), wrap: true, isSubtle: true, size: 'Small' });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', msteams: { width: 'Full' }, body },
      },
    ],
  };
}

export const teamsChannel: ChannelFactory = (target, ctx) => {
  if (target.url.pathname === '/' || target.url.pathname === '') {
    throw new ConfigError(`NOTIFY_URLS: ${target.label} needs the workflow's URL path (teams://…/workflows/…/invoke?…&sig=…)`);
  }
  const query = target.url.searchParams.toString();
  const url = `${endpoint(target, target.url.pathname)}${query ? `?${query}` : ''}`;
  const render = (s: AlertSummary): HttpRequest => ({ url, body: toTeamsBody(s) });
  return { paceMs: 1000, secrets: [url], driver: summaryDriver(ctx, render) };
};
