/**
 * /ui on the health server (mounted through its `routes` hook): the incident timeline, a page per
 * container and per incident, the report, a live stream and the sign-in. Reads the audit log and
 * the stories through its sources on each request, so it shows exactly what `doctor report` would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseSince } from '../../../core/report/report-window.js';
import type { Report } from '../../../core/report/report-types.js';
import type { ContainerStory } from '../../../core/story.js';
import type { AuditRecord, IncidentNoteEvent } from '../../../core/types.js';
import type { HttpRoute } from '../health-server.js';
import { UiSessions } from './ui-auth.js';
import { UiLive } from './ui-live.js';
import { containerPage, incidentPage, liveIncident, loginPage, notFoundPage, reportPage, timelinePage, type TimelineFilters } from './ui-pages.js';

/** What the pages read; the CLI wires them to the audit log and the story store of STATE_DIR. */
export interface UiSources {
  /** Incident records, newest first, outcomes joined. */
  records(query: { readonly container?: string; readonly sinceMs?: number }): Promise<readonly AuditRecord[]>;
  /** repeat, deferral and recovery lines, oldest first. */
  notes(): Promise<readonly IncidentNoteEvent[]>;
  stories(): Promise<readonly ContainerStory[]>;
  /** The `doctor report` figures for the window. */
  report(query: { readonly sinceMs: number; readonly now: number; readonly container?: string }): Promise<Report>;
}

export interface UiOptions {
  readonly sources: UiSources;
  /** HEALTH_TOKEN; unset leaves /ui as open as /health. */
  readonly token?: string;
  readonly now?: () => number;
}

const TIMELINE_LIMIT = 500;
const REPORT_DEFAULT_SINCE = '7d';
const FORM_MAX_BYTES = 4_096;

function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // Only this page's own inline style and script; nothing from anywhere else, no framing.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

function redirect(res: ServerResponse, location: string, cookie?: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...(cookie ? { 'set-cookie': cookie } : {}) });
  res.end();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > FORM_MAX_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A filter value from the query string: absent when empty, refused when out of its set. */
function pick(url: URL, name: string, allowed?: readonly string[]): string | undefined {
  const v = url.searchParams.get(name)?.trim();
  if (!v) return undefined;
  if (allowed && !allowed.includes(v)) return undefined;
  return v.slice(0, 256);
}

export class UiRoute implements HttpRoute {
  readonly sessions: UiSessions;
  readonly live: UiLive;
  private readonly now: () => number;

  constructor(private readonly options: UiOptions) {
    this.now = options.now ?? Date.now;
    this.sessions = new UiSessions(options.token, this.now);
    this.live = new UiLive(liveIncident);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname !== '/ui' && !url.pathname.startsWith('/ui/')) return false;
    const path = url.pathname.replace(/\/+$/, '') || '/ui';
    if (path === '/ui/login') {
      await this.login(req, res);
      return true;
    }
    // A one-time link: trade the token for a session, then drop it from the address.
    const given = url.searchParams.get('token');
    if (given !== null) {
      url.searchParams.delete('token');
      const clean = `${url.pathname}${url.searchParams.size > 0 ? `?${url.searchParams}` : ''}`;
      if (this.sessions.accepts(given)) redirect(res, clean, this.sessions.open ? undefined : this.sessions.start());
      else html(res, 401, loginPage('That link has a wrong token.'));
      return true;
    }
    if (!this.sessions.allows(req)) {
      if (path === '/ui/events') {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end('unauthorized\n');
      } else html(res, 401, loginPage(undefined));
      return true;
    }
    const signOut = !this.sessions.open;
    if (path === '/ui/logout') {
      if (req.method !== 'POST') {
        html(res, 405, notFoundPage('Sign out with the button.', signOut), { allow: 'POST' });
        return true;
      }
      redirect(res, '/ui/login', this.sessions.end(req));
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      html(res, 405, notFoundPage('Only GET here.', signOut), { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/ui/events') {
      this.live.attach(res);
      return true;
    }
    if (path === '/ui') await this.timeline(res, url, signOut);
    else if (path === '/ui/report') await this.report(res, url, signOut);
    else if (path.startsWith('/ui/container/')) await this.container(res, decodeURIComponent(path.slice('/ui/container/'.length)), signOut);
    else if (path.startsWith('/ui/incident/')) await this.incident(res, decodeURIComponent(path.slice('/ui/incident/'.length)), signOut);
    else html(res, 404, notFoundPage('No such page.', signOut));
    return true;
  }

  close(): void {
    this.live.close();
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' || req.method === 'HEAD') return html(res, 200, loginPage(undefined));
    if (req.method !== 'POST') return html(res, 405, loginPage(undefined), { allow: 'GET, POST' });
    const form = await readForm(req);
    const token = form?.get('token') ?? '';
    if (!form || !this.sessions.accepts(token)) return html(res, 401, loginPage('Wrong token.'));
    redirect(res, '/ui', this.sessions.open ? undefined : this.sessions.start());
  }

  private async timeline(res: ServerResponse, url: URL, signOut: boolean): Promise<void> {
    const f: TimelineFilters = {
      container: pick(url, 'container'),
      severity: pick(url, 'severity', ['high', 'medium', 'low']),
      decision: pick(url, 'decision', ['restart', 'escalate', 'none']),
      since: pick(url, 'since', ['1h', '24h', '7d', '30d']),
    };
    const since = f.since ? parseSince(f.since, this.now()) : undefined;
    const records = await this.options.sources.records({ ...(since?.ok ? { sinceMs: since.ms } : {}) });
    // The container menu lists every container in the window, so the filter can be changed from any view.
    const containers = [...new Set(records.map((r) => r.container.name))].sort();
    const shown = records
      .filter((r) => (!f.container || r.container.name === f.container) && (!f.severity || r.diagnosis.severity === f.severity) && (!f.decision || r.decision.action === f.decision))
      .slice(0, TIMELINE_LIMIT);
    html(res, 200, timelinePage(shown, containers, f, signOut));
  }

  private async report(res: ServerResponse, url: URL, signOut: boolean): Promise<void> {
    const sinceText = pick(url, 'since', ['24h', '7d', '30d']) ?? REPORT_DEFAULT_SINCE;
    const now = this.now();
    const since = parseSince(sinceText, now);
    const report = await this.options.sources.report({ sinceMs: since.ok ? since.ms : now - 7 * 86_400_000, now });
    html(res, 200, reportPage(report, sinceText, signOut));
  }

  private async container(res: ServerResponse, name: string, signOut: boolean): Promise<void> {
    const records = await this.options.sources.records({ container: name });
    const stories = (await this.options.sources.stories()).filter((s) => s.name === name || records.some((r) => r.container.id === s.id));
    if (records.length === 0 && stories.length === 0) return html(res, 404, notFoundPage(`No container ${name} on record.`, signOut));
    const now = this.now();
    const report = await this.options.sources.report({ sinceMs: now - 7 * 86_400_000, now, container: name });
    html(res, 200, containerPage(name, stories, records, report, now, signOut));
  }

  private async incident(res: ServerResponse, id: string, signOut: boolean): Promise<void> {
    const records = await this.options.sources.records({});
    const mine = records.filter((r) => r.incidentId === id).reverse();
    if (mine.length === 0) return html(res, 404, notFoundPage(`No incident ${id} on record.`, signOut));
    const notes = (await this.options.sources.notes()).filter((n) => n.incidentId === id);
    const now = this.now();
    const first = Date.parse(mine[0]!.time);
    const review = await this.options.sources.report({ sinceMs: first - 1, now, container: mine[0]!.container.id });
    html(res, 200, incidentPage(mine, notes, review, signOut));
  }
}
