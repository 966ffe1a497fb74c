/**
 * Server-sent events for the live timeline: each recorded incident goes to every open /ui page
 * as it happens. A subscriber of the incident bus; it never blocks the bus (a slow browser's
 * socket buffers, and a closed one is dropped).
 */
import type { ServerResponse } from 'node:http';
import type { AuditRecord } from '../../../core/types.js';
import type { IncidentSubscriber } from '../../../pipeline/incident-bus.js';

/** Proxies drop idle connections; a comment line this often keeps the stream open. */
const KEEPALIVE_MS = 15_000;
const MAX_CLIENTS = 64;

export class UiLive {
  private readonly clients = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly render: (record: AuditRecord) => Record<string, unknown>) {
    this.timer = setInterval(() => this.broadcast(': keep-alive\n\n'), KEEPALIVE_MS);
    this.timer.unref();
  }

  /** The bus subscriber: an incident with its outcome goes out as an `incident` event. */
  readonly subscriber: IncidentSubscriber = (event) => {
    if (event.type !== 'recorded') return;
    this.broadcast(`event: incident\ndata: ${JSON.stringify(this.render(event.record))}\n\n`);
  };

  /** Takes over the response as an event stream until the browser goes away. */
  attach(res: ServerResponse): void {
    if (this.clients.size >= MAX_CLIENTS) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' });
      res.end('too many live pages open\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 3000\n: live\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    clearInterval(this.timer);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(text: string): void {
    for (const res of this.clients) {
      if (res.writableEnded || res.destroyed) {
        this.clients.delete(res);
        continue;
      }
      res.write(text);
    }
  }
}
