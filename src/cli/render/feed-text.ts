import type { ChalkInstance } from 'chalk';
import type { FeedEvent } from '../../pipeline/feed.js';
import { paintSeverity } from './colors.js';
import { diagnosisModelLabel, isAiDiagnosis } from '../../core/diagnosis-source.js';
import { describeExecutedRestart } from './restart-outcome.js';

function clock(iso: string): string {
  return iso.slice(11, 19);
}

export interface FeedTextOptions {
  /** Name the engine on each line: only worth the width when several are watched. */
  readonly showHost: boolean;
  readonly now?: string;
}

function prefixFor(showHost: boolean) {
  return (host: string): string => (showHost ? hostPrefix(host) : '');
}

function hostPrefix(host: string): string {
  return host ? `[${host}] ` : '';
}

/** One human line per feed event; undefined for events too chatty for a terminal. */
export function formatFeedEvent(c: ChalkInstance, event: FeedEvent, opts: FeedTextOptions = { showHost: true }): string | undefined {
  const now = opts.now ?? new Date().toISOString();
  const hostPrefix = prefixFor(opts.showHost);
  switch (event.type) {
    case 'started':
      return `${c.bold('container-doctor')} watching ${event.hosts.map((h) => h || 'local engine').join(', ')} — ${
        event.autoFix ? 'auto-fix on' : c.yellow('observe-only')
      }, ${event.ai ? 'AI diagnosis on' : 'rules-only'}${alertsOn(event)}`;
    case 'cycle':
      return undefined;
    case 'incident': {
      const r = event.record;
      const d = r.decision;
      const action =
        d.action === 'restart'
          ? d.executed
            ? describeExecutedRestart(c, r)
            : c.cyan(`would restart: ${d.reason}`)
          : d.action === 'escalate'
            ? c.red.bold(`ESCALATE: ${d.reason}`)
            : c.dim(`no action: ${d.reason}`);
      const by = isAiDiagnosis(r.diagnosis) ? c.magenta(` [AI ${diagnosisModelLabel(r.diagnosis)}]`) : '';
      return `${clock(r.time)} ${hostPrefix(r.container.host)}${c.bold(r.container.name)} ${paintSeverity(c, r.diagnosis.severity)} ${
        r.diagnosis.root_cause
      }${by}\n         -> ${action}`;
    }
    case 'repeat':
      return c.dim(`${clock(now)} ${hostPrefix(event.host)}${event.container}: same incident again (${event.count}x, ${event.incidentId})`);
    case 'deferred':
      return `${clock(now)} ${hostPrefix(event.host)}${c.bold(event.container)}: waiting until ${clock(event.until)} — ${event.reason}`;
    case 'restarting':
      return `${clock(now)} ${hostPrefix(event.host)}${c.bold(event.container)}: restarting…`;
    case 'recovered':
      return `${clock(now)} ${hostPrefix(event.host)}${c.bold(event.container)}: ${c.green('recovered')} after ${Math.round(event.afterMs / 1000)} s`;
    case 'engine-down':
      return c.red(`${clock(now)} ${event.host || 'local engine'} unreachable: ${event.error} (retry in ${Math.round(event.retryInMs / 1000)} s)`);
    case 'engine-up':
      return c.green(`${clock(now)} ${event.host || 'local engine'} reachable again`);
    case 'diagnosis':
      return event.ok ? undefined : c.yellow(`${clock(now)} ${hostPrefix(event.host)}${event.container}: Claude diagnosis failed: ${event.error}`);
    case 'warning':
      return c.yellow(`${clock(now)} warning: ${event.message}`);
    case 'stopped':
      return `${clock(now)} stopped (${event.reason})`;
  }
}

/** `, Slack alerts on` as in v0.1, or the channels by name when there are others. */
function alertsOn(event: Extract<FeedEvent, { type: 'started' }>): string {
  const channels = event.channels ?? [];
  if (channels.length === 0 || (channels.length === 1 && channels[0] === 'slack')) return event.slack ? ', Slack alerts on' : '';
  return `, alerts to ${channels.join(', ')}`;
}
