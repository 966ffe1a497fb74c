/**
 * Who may see /ui. With HEALTH_TOKEN set: the bearer token (as for /health), or a session cookie
 * a browser gets once, from a one-time `?token=` link (answered with a redirect to the same URL
 * without it, so the token never stays in the address bar or history) or from the login form.
 * The cookie is HttpOnly and SameSite=Strict: scripts cannot read it and other sites cannot send it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { authorized } from '../health-server.js';

export const SESSION_COOKIE = 'doctor_session';
/** A browser session lasts a working day; then the login form asks again. */
const SESSION_MS = 12 * 60 * 60 * 1000;
/** Enough for a few browsers and tabs; the oldest sessions go first. */
const MAX_SESSIONS = 256;

export class UiSessions {
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly token: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** No token configured: /ui is as open as /health is. */
  get open(): boolean {
    return !this.token;
  }

  /** The request carries the bearer token or a live session cookie. */
  allows(req: IncomingMessage): boolean {
    if (this.open || authorized(req, this.token)) return true;
    const id = readCookie(req, SESSION_COOKIE);
    if (!id) return false;
    const until = this.sessions.get(id);
    if (until === undefined) return false;
    if (until < this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  /** Checks a token given in a form or a one-time link (constant time, like the bearer check). */
  accepts(given: string): boolean {
    if (this.open) return true;
    return authorized({ headers: { authorization: `Bearer ${given}` } } as IncomingMessage, this.token);
  }

  /** A new session's Set-Cookie header value. */
  start(): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, this.now() + SESSION_MS);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return `${SESSION_COOKIE}=${id}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}`;
  }

  /** Ends the request's session; returns the Set-Cookie value that clears it. */
  end(req: IncomingMessage): string {
    const id = readCookie(req, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
    return `${SESSION_COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
