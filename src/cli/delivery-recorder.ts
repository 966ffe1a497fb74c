import type { DeliveryResult } from '../adapters/notify/delivery-queue.js';
import { describeError } from '../core/errors.js';
import type { AuditEvent, DeliveryFailureEvent } from '../core/types.js';
import type { FeedListener } from '../pipeline/feed.js';
import type { Clock } from '../pipeline/ports.js';

/** Where delivery failures are written: the audit log. */
export interface AuditEventSink {
  appendEvent(event: AuditEvent): Promise<void>;
}

/** The audit line for a message a channel never got. */
export function toDeliveryFailureEvent(result: DeliveryResult, nowMs: number): DeliveryFailureEvent {
  return {
    v: 1,
    kind: 'delivery',
    time: new Date(nowMs).toISOString(),
    ...(result.channel !== undefined ? { channel: result.channel } : {}),
    message: result.kind,
    incidentIds: [...result.incidentIds],
    ok: false,
    error: result.error ?? 'unknown error',
    attempts: result.attempts,
    ...(result.status !== undefined ? { status: result.status } : {}),
  };
}

/**
 * Every channel's `onDelivery`: a message given up on (or dropped) goes into the audit log
 * and the feed, so people can see they were not told. Successes are only counted (by the
 * notifier's own stats). Never throws and never waits: it runs on the notifier's worker.
 */
export function recordDeliveryFailures(deps: {
  readonly audit: AuditEventSink;
  readonly feed: FeedListener;
  readonly clock: Clock;
  /** Applied to the error before it is recorded or shown: an outbound call's error can echo secrets. */
  readonly redact?: (s: string) => string;
}): (result: DeliveryResult) => void {
  const redact = deps.redact ?? ((s: string) => s);
  return (result) => {
    if (result.ok) return;
    const event = toDeliveryFailureEvent({ ...result, error: redact(result.error ?? 'unknown error') }, deps.clock.now());
    const channel = result.channel ?? 'slack';
    deps.feed({ type: 'warning', message: `${channel}: ${event.message} message for ${event.incidentIds.join(', ') || 'no incident'} not delivered: ${event.error}` });
    deps.audit.appendEvent(event).catch((error: unknown) => {
      deps.feed({ type: 'warning', message: `${channel}: could not record the delivery failure in the audit log: ${describeError(error)}` });
    });
  };
}
