/**
 * The control endpoints people use without Slack (and `doctor approve|snooze|unsnooze|pending`):
 *
 *   GET    /pending                              proposals waiting for approval, snoozes, overrides
 *   POST   /incidents/{id}/approve               approve the restart proposed for an incident
 *   POST   /containers/{name}/snooze?for=2h      no alerts and no action for that long
 *   DELETE /containers/{name}/snooze             lift the snooze
 *   POST   /containers/{name}/override           never auto-restart (until lifted)
 *   DELETE /containers/{name}/override           lift it
 *
 * Bearer token only: they change what the doctor does, so they are refused when HEALTH_TOKEN is
 * not configured, whatever the address (unlike /health, which is open on loopback without one).
 * `?host=` picks the engine when the doctor watches more than one. The person is who the
 * `x-doctor-user` header says (the CLI sends $USER), recorded with `via: http`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkContainerRef } from '../../core/container-name.js';
import { parseDuration } from '../../core/duration.js';
import type { Person } from '../../core/types.js';
import type { ApprovalDesk } from '../../pipeline/approvals.js';
import { authorized, send, type HttpRoute } from './health-server.js';

/** A snooze is at most this long: longer is an override (`never auto-restart`), which is revocable and explicit. */
const MAX_SNOOZE_MS = 30 * 86_400_000;

export function controlRoutes(input: { readonly desk: ApprovalDesk; readonly token: string | undefined; readonly hosts: readonly string[] }): HttpRoute {
  const { desk, token, hosts } = input;
  return {
    async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
      const approve = /^\/incidents\/([^/]+)\/approve$/.exec(url.pathname);
      const hold = /^\/containers\/([^/]+)\/(snooze|override)$/.exec(url.pathname);
      if (url.pathname !== '/pending' && !approve && !hold) return false;
      if (!token) {
        send(res, 403, { error: 'the control endpoints are off until HEALTH_TOKEN is set (they change what the doctor does)' });
        return true;
      }
      if (!authorized(req, token)) {
        res.setHeader('www-authenticate', 'Bearer');
        send(res, 401, { error: 'unauthorized' });
        return true;
      }
      const by = personOf(req);
      if (url.pathname === '/pending') {
        if (!allow(req, res, ['GET', 'HEAD'])) return true;
        send(res, 200, pendingDocument(desk));
        return true;
      }
      if (approve) {
        if (!allow(req, res, ['POST'])) return true;
        const id = decodeURIComponent(approve[1]!);
        if (!/^[\w.-]{1,100}$/.test(id)) return bad(res, 'the incident id is not one the doctor writes (inc-...)');
        const answer = await desk.approve(id, by);
        send(res, answer.status === 'refused' ? 409 : 200, answer);
        return true;
      }
      const name = decodeURIComponent(hold![1]!);
      const what = hold![2] as 'snooze' | 'override';
      const problem = checkContainerRef(name);
      if (problem) return bad(res, `${JSON.stringify(name)} is not a container name: ${problem}`);
      const host = hostOf(url, hosts);
      if (typeof host !== 'string') return bad(res, host.error);
      if (!allow(req, res, ['POST', 'DELETE'])) return true;
      if (req.method === 'DELETE') {
        const lifted = await desk.lift(host, name, what, by);
        send(res, 200, { container: name, host, lifted });
        return true;
      }
      if (what === 'override') {
        await desk.never(host, name, by);
        send(res, 200, { container: name, host, override: 'never auto-restart' });
        return true;
      }
      const forText = url.searchParams.get('for') ?? '1h';
      const ms = parseDuration(forText);
      if (ms === undefined || ms > MAX_SNOOZE_MS) return bad(res, `for must be a duration such as 30m, 2h or 1d, at most 30d (got ${JSON.stringify(forText)})`);
      const until = desk.now() + ms;
      await desk.snooze(host, name, until, by);
      send(res, 200, { container: name, host, snoozedUntil: new Date(until).toISOString() });
      return true;
    },
  };
}

/** What /pending shows and `doctor pending` prints. */
export function pendingDocument(desk: ApprovalDesk): Record<string, unknown> {
  return {
    pending: desk.pending().map((p) => ({
      incidentId: p.incidentId,
      container: p.containerName,
      host: p.host,
      proposedAt: new Date(p.proposedAt).toISOString(),
      expiresAt: new Date(p.expiresAt).toISOString(),
      askFirst: p.ask,
      guardrail: p.guardrail,
      reason: p.reason,
    })),
    holds: Object.entries(desk.holds()).map(([key, h]) => {
      // historyKey: `<host or local>/<name>`; a container name never holds a slash.
      const cut = key.lastIndexOf('/');
      const host = key.slice(0, cut);
      return {
        container: key.slice(cut + 1),
        host: host === 'local' ? '' : host,
        ...(h.snooze ? { snoozedUntil: new Date(h.snooze.until).toISOString(), snoozedBy: h.snooze.by } : {}),
        ...(h.never ? { neverAutoRestart: true, overrideBy: h.never.by, overrideAt: new Date(h.never.at).toISOString() } : {}),
      };
    }),
  };
}

function personOf(req: IncomingMessage): Person {
  const raw = req.headers['x-doctor-user'];
  const name = (Array.isArray(raw) ? raw[0] : raw)?.trim().slice(0, 100);
  return { id: name && /^[\w.@-]+$/.test(name) ? name : 'http', via: 'http' };
}

function hostOf(url: URL, hosts: readonly string[]): string | { error: string } {
  const asked = url.searchParams.get('host');
  if (asked !== null) return hosts.includes(asked) ? asked : { error: `host ${JSON.stringify(asked)} is not watched (watched: ${hosts.map((h) => h || 'local').join(', ')})` };
  if (hosts.length === 1) return hosts[0]!;
  return { error: `the doctor watches ${hosts.length} engines: say which with ?host= (${hosts.join(', ')})` };
}

function allow(req: IncomingMessage, res: ServerResponse, methods: string[]): boolean {
  if (methods.includes(req.method ?? 'GET')) return true;
  res.setHeader('allow', methods.join(', '));
  send(res, 405, { error: 'method not allowed' });
  return false;
}

function bad(res: ServerResponse, error: string): true {
  send(res, 400, { error });
  return true;
}
