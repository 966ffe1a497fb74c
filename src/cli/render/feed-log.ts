/**
 * The daemon's log: one JSON object per line with `time`, `level` and `msg` (the fields Loki,
 * Dozzle and pino users query) next to the feed event's own fields, or the text lines people read.
 */
import { Chalk } from 'chalk';
import type { FeedEvent } from '../../pipeline/feed.js';
import { formatFeedEvent } from './feed-text.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const plain = new Chalk({ level: 0 });

/** How loud an event is; kinds it does not know are `info`. */
export function levelOf(event: FeedEvent): LogLevel {
  const kind: string = event.type;
  switch (kind) {
    case 'incident': {
      const { record } = event as Extract<FeedEvent, { type: 'incident' }>;
      return record.diagnosis.severity === 'high' || record.decision.action === 'escalate' ? 'error' : 'warn';
    }
    case 'engine-down':
      return 'error';
    case 'warning':
      return 'warn';
    case 'diagnosis':
      return (event as Extract<FeedEvent, { type: 'diagnosis' }>).ok ? 'info' : 'warn';
    case 'repeat':
    case 'deferred':
      return 'debug';
    default:
      return 'info';
  }
}

export function isLogged(event: FeedEvent, threshold: LogLevel): boolean {
  return RANK[levelOf(event)] >= RANK[threshold];
}

/** The JSON line for one event (without the newline). */
export function formatLogLine(event: FeedEvent, now: Date = new Date()): string {
  const time = now.toISOString();
  const msg = formatFeedEvent(plain, event, { showHost: true, now: time }) ?? event.type;
  return JSON.stringify({ time, level: levelOf(event), msg, ...event });
}
