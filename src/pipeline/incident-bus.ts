import { describeError } from '../core/errors.js';
import type { AuditRecord, ContainerRef, IncidentNoteEvent } from '../core/types.js';
import type { GateResult } from '../core/people-gate.js';
import { flushRepeats, takeRepeat, type PendingRepeats, type RepeatLine } from '../core/repeat-lines.js';
import type { FeedListener } from './feed.js';
import type { AuditSink, Notifier } from './ports.js';

/**
 * The one stream of what happens to incidents. The audit log, the live feed, the notifiers and the
 * recovery follow-ups all subscribe to it; the incident handler only publishes.
 */
export type IncidentEvent =
  /** About to act: written ahead, so a doctor killed mid-restart leaves a record of it. */
  | { readonly type: 'decided'; readonly record: AuditRecord }
  /** The incident with its outcome. `aheadWritten`: its record went out as `decided` first, only the outcome is new. */
  | { readonly type: 'recorded'; readonly record: AuditRecord; readonly aheadWritten: boolean; readonly gate?: Omit<GateResult, 'decision'>; readonly stormLook?: StormLook }
  | { readonly type: 'repeat'; readonly container: ContainerRef; readonly incidentId: string; readonly count: number; readonly at: number }
  | { readonly type: 'deferred'; readonly container: ContainerRef; readonly until: string; readonly reason: string; readonly at: number }
  | { readonly type: 'recovered'; readonly record: AuditRecord; readonly at: number; readonly afterMs: number };

/** An incident judged while a storm may be building (storm-watch.ts): its alert waits `waitMs`. */
export interface StormLook {
  readonly waitMs: number;
  /** Whether a storm that is still on took the container in: the storm's alert lists it. */
  readonly tookIntoStorm: () => boolean;
}

/** `close`: called once when the doctor stops, to write what it still holds (see IncidentBus.close). */
export type IncidentSubscriber = ((event: IncidentEvent) => void | Promise<void>) & { readonly close?: () => Promise<void> };

/**
 * Delivers each event to every subscriber in order. A subscriber that fails (the audit log on a
 * full disk) does not keep the others from hearing; its error is thrown after they have run, so
 * the handler can refuse to act on a decision it could not record.
 */
export class IncidentBus {
  constructor(private readonly subscribers: readonly IncidentSubscriber[]) {}

  async publish(event: IncidentEvent): Promise<void> {
    let failure: unknown;
    for (const subscriber of this.subscribers) {
      try {
        await subscriber(event);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** The doctor is stopping: subscribers write what they still hold (the audit log's pending repeats). */
  async close(): Promise<void> {
    let failure: unknown;
    for (const subscriber of this.subscribers) {
      try {
        await subscriber.close?.();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Incidents whose unwritten repeats are held at most; beyond it the oldest is written out and forgotten. */
const MAX_HELD_INCIDENTS = 1_000;

/**
 * The audit log's view: every decision before its action, outcomes after, deferrals, recoveries,
 * and repeats thinned out (core/repeat-lines.ts): what is held back is written when the incident
 * ends (a new decision for the container, its recovery) or the doctor stops, so no repeat is lost.
 */
export function auditSubscriber(audit: AuditSink): IncidentSubscriber {
  const held = new Map<string, { container: ContainerRef; pending: PendingRepeats }>();
  const writeRepeat = (container: ContainerRef, incidentId: string, line: RepeatLine) =>
    audit.appendEvent(
      note('repeat', line.at, container, repeatDetail(line), {
        incidentId,
        count: line.count,
        ...(line.covered > 1 ? { covered: line.covered, since: iso(line.since) } : {}),
      }),
    );
  const flush = async (incidentId: string) => {
    const h = held.get(incidentId);
    if (!h) return;
    held.delete(incidentId);
    const line = flushRepeats(h.pending);
    if (line) await writeRepeat(h.container, incidentId, line);
  };
  const flushContainer = async (c: ContainerRef) => {
    for (const [id, h] of [...held]) if (h.container.id === c.id && h.container.host === c.host) await flush(id);
  };
  const subscriber = async (event: IncidentEvent) => {
    switch (event.type) {
      case 'decided':
        await flushContainer(event.record.container);
        return audit.append(event.record);
      case 'recorded': {
        const { record } = event;
        if (!event.aheadWritten) {
          await flushContainer(record.container);
          return audit.append(record);
        }
        return audit.appendEvent({
          v: 1,
          kind: 'outcome',
          time: record.outcome.at,
          incidentId: record.incidentId,
          occurrence: record.occurrence,
          executed: record.decision.executed,
          outcome: record.outcome,
        });
      }
      case 'repeat': {
        const before = held.get(event.incidentId);
        const taken = takeRepeat(before?.pending, event.count, event.at);
        held.delete(event.incidentId);
        held.set(event.incidentId, { container: event.container, pending: taken.pending });
        if (held.size > MAX_HELD_INCIDENTS) await flush(held.keys().next().value!);
        if (taken.line) await writeRepeat(event.container, event.incidentId, taken.line);
        return;
      }
      case 'deferred':
        return audit.appendEvent(note('deferred', event.at, event.container, event.reason, { until: event.until }));
      case 'recovered':
        await flushContainer(event.record.container);
        return audit.appendEvent(note('recovery', event.at, event.record.container, 'well again', { incidentId: event.record.incidentId, afterMs: event.afterMs }));
    }
  };
  return Object.assign(subscriber, {
    close: async () => {
      for (const id of [...held.keys()]) await flush(id);
    },
  });
}

function repeatDetail(line: RepeatLine): string {
  const again = line.covered > 1 ? `seen again ${line.covered} times since ${iso(line.since)}` : 'seen again';
  return `${again} (${line.count} times in all); same decision, not recorded again`;
}

function note(kind: IncidentNoteEvent['kind'], at: number, container: ContainerRef, detail: string, extra: Partial<IncidentNoteEvent>): IncidentNoteEvent {
  return { v: 1, kind, time: iso(at), container, detail, ...extra };
}

/** The live feed's view (terminal, JSON lines, metrics). */
export function feedSubscriber(feed: FeedListener): IncidentSubscriber {
  return (event) => {
    switch (event.type) {
      case 'recorded':
        return feed({ type: 'incident', record: event.record });
      case 'repeat':
        return feed({ type: 'repeat', host: event.container.host, container: event.container.name, incidentId: event.incidentId, count: event.count });
      case 'deferred':
        return feed({ type: 'deferred', host: event.container.host, container: event.container.name, until: event.until, reason: event.reason });
      case 'recovered':
        return feed({ type: 'recovered', host: event.record.container.host, container: event.record.container.name, incidentId: event.record.incidentId, afterMs: event.afterMs });
      default:
        return undefined;
    }
  };
}

/** How often an alert a storm took in asks whether the storm has settled. */
const STORM_RECHECK_MS = 1_000;

/**
 * Every notifier hears of each recorded incident and each recovery; they queue and never block.
 * An incident recorded in the storm look is told once the look is over; if a storm took the
 * container in meanwhile, the storm's one alert lists it, and its own alert waits until the storm
 * settles, as the incidents the storm held are judged and told then. A doctor stopping tells what
 * still waits.
 */
export function notifierSubscriber(notifiers: readonly Notifier[], onError: (message: string) => void): IncidentSubscriber {
  const tell = (fn: (notifier: Notifier) => void) => {
    for (const notifier of notifiers) {
      try {
        fn(notifier);
      } catch (error) {
        onError(`notifier failed: ${describeError(error)}`);
      }
    }
  };
  const waiting = new Map<NodeJS.Timeout, AuditRecord>();
  const subscriber = (event: IncidentEvent) => {
    if (event.type === 'recovered') return tell((n) => n.recovered(event.record, iso(event.at)));
    if (event.type !== 'recorded') return;
    // Silenced (maintenance, snooze) or held for quiet hours (quiet-alerts.ts sends it later): not now.
    if (event.gate?.silenced !== undefined || event.gate?.alertAfter !== undefined) return;
    // A group's members are told in its one summary (issue 12: one alert per group).
    if (event.record.group?.role === 'member') return;
    const { record, stormLook } = event;
    if (!stormLook) return tell((n) => n.incident(record));
    const later = (ms: number) => {
      const timer = setTimeout(() => {
        waiting.delete(timer);
        if (stormLook.tookIntoStorm()) later(STORM_RECHECK_MS);
        else tell((n) => n.incident(record));
      }, ms);
      waiting.set(timer, record);
    };
    later(stormLook.waitMs);
  };
  return Object.assign(subscriber, {
    close: async () => {
      for (const [timer, record] of [...waiting]) {
        clearTimeout(timer);
        waiting.delete(timer);
        tell((n) => n.incident(record));
      }
    },
  });
}
