/**
 * Pure helpers over a container's remembered history. Every function returns a new history and
 * never mutates its input, so the state store can persist exactly what the decision saw.
 */
import type { Action, ContainerHistory, Guardrail, IncidentMemory } from './types.js';

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

/** How long death, OOM and restart times are kept: the longest window any guardrail looks at. */
export const HISTORY_RETENTION_MS = DAY_MS;

/** How long an incident is remembered: long enough to see a nightly or weekly pattern. */
export const INCIDENT_RETENTION_MS = 7 * DAY_MS;

/** Upper bounds so a container dying every second cannot grow the state file without limit. */
export const historyLimits = {
  times: 200,
  incidents: 50,
  /** Occurrence times kept per incident. */
  recent: 12,
} as const;

/**
 * Two observations of one exit (the `die` event and the next inspection's `FinishedAt`) differ by
 * a few milliseconds. Merging within a second can only undercount deaths that Docker itself is
 * restarting within a second of each other, and those show as status `restarting` (a crash loop)
 * anyway.
 */
export const SAME_EVENT_TOLERANCE_MS = 1000;

/**
 * The key a container's history is kept under: engine and name, so the history survives the
 * container being recreated (compose up), and a rename moves it (the watcher does).
 */
export function historyKey(host: string, name: string): string {
  return `${host || 'local'}/${name}`;
}

/** A history with nothing in it. */
export function emptyHistory(): ContainerHistory {
  return { deaths: [], ooms: [], restarts: [], incidents: [] };
}

/**
 * Milliseconds since the epoch for an ISO time, or null when it is missing, unparsable or Docker's
 * zero time (`0001-01-01T00:00:00Z`, reported for containers that never started or finished).
 */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || ms <= 0) return null;
  return ms;
}

/** How many of `times` fall within `windowMs` before `now` (times after `now` count: clocks skew). */
export function countWithin(times: readonly string[], now: number, windowMs: number): number {
  let count = 0;
  for (const iso of times) {
    const ms = parseTime(iso);
    if (ms !== null && ms >= now - windowMs) count += 1;
  }
  return count;
}

/** Whether `times` already holds an observation of the moment `at` (within the tolerance). */
export function hasTime(times: readonly string[], at: string, toleranceMs = SAME_EVENT_TOLERANCE_MS): boolean {
  const ms = parseTime(at);
  if (ms === null) return false;
  return times.some((iso) => {
    const other = parseTime(iso);
    return other !== null && Math.abs(other - ms) <= toleranceMs;
  });
}

/**
 * `times` plus `at` unless it is already there. Lets the decision count the death it is judging
 * whether or not the caller recorded it first.
 */
export function includeTime(times: readonly string[], at: string | null | undefined): readonly string[] {
  if (!at || parseTime(at) === null || hasTime(times, at)) return times;
  return [...times, at];
}

function addTime(times: readonly string[], at: string, now: number): readonly string[] {
  const ms = parseTime(at);
  if (ms === null) return pruneTimes(times, now);
  const merged = hasTime(times, at) ? times : [...times, new Date(ms).toISOString()];
  return pruneTimes(merged, now);
}

function pruneTimes(times: readonly string[], now: number): readonly string[] {
  const kept = times
    .map((iso) => ({ iso, ms: parseTime(iso) }))
    .filter((t): t is { iso: string; ms: number } => t.ms !== null && t.ms >= now - HISTORY_RETENTION_MS)
    .sort((a, b) => a.ms - b.ms)
    .map((t) => t.iso);
  return kept.slice(-historyLimits.times);
}

/** Records that the container died at `at` (prefer its `FinishedAt`, so event and inspection agree). */
export function recordDeath(history: ContainerHistory, at: string, now: number): ContainerHistory {
  return { ...history, deaths: addTime(history.deaths, at, now), ooms: pruneTimes(history.ooms, now), restarts: pruneTimes(history.restarts, now) };
}

/** Records that the kernel OOM-killed a process in the container at `at`. */
export function recordOom(history: ContainerHistory, at: string, now: number): ContainerHistory {
  return { ...history, ooms: addTime(history.ooms, at, now), deaths: pruneTimes(history.deaths, now), restarts: pruneTimes(history.restarts, now) };
}

/**
 * The history kept under a container's name, as far as it belongs to this container (`id`): a
 * container recreated under the name (`docker rm` + `docker run`, an image update, `docker compose
 * up -d` without its rename) is a person's or their tool's deliberate act, so its crashes, restarts
 * and the doctor's giving up start afresh; what was seen (the incident memory) stays, for "this
 * happened before" and for patterns. A rename keeps it all (same id). Told apart by id, not by the
 * creation time, which comes from the engine's clock while the doctor stamps its restarts with its
 * own. A history from before ids were kept is taken as this container's.
 */
export function historyOfThisContainer(history: ContainerHistory, id: string): ContainerHistory {
  if (history.containerId === undefined || history.containerId === id) return history.containerId === id ? history : { ...history, containerId: id };
  return { deaths: [], ooms: [], restarts: [], incidents: history.incidents, containerId: id };
}

/** Records that the doctor restarted the container at `at`. */
export function recordRestart(history: ContainerHistory, at: string, now: number): ContainerHistory {
  return { ...history, restarts: addTime(history.restarts, at, now), deaths: pruneTimes(history.deaths, now), ooms: pruneTimes(history.ooms, now) };
}

/** One judged incident, as `recordIncident` remembers it. */
export interface IncidentObservation {
  readonly signature: string;
  readonly incidentId: string;
  /** ISO time the incident was seen. */
  readonly at: string;
  readonly action: Action;
  /** The guardrail that decided it: a repeat is the same action for the same reason. */
  readonly guardrail?: Guardrail | null;
  /** Catalog rule that diagnosed it, so later diagnoses can say "this class happened before". */
  readonly rule?: string;
}

/**
 * Remembers an incident: a signature seen before has its count, last time, id and action updated;
 * a new one is added. Incidents not seen for 7 days are forgotten, and only the most recent
 * `historyLimits.incidents` are kept.
 */
export function recordIncident(history: ContainerHistory, seen: IncidentObservation, now: number): ContainerHistory {
  const previous = history.incidents.find((m) => m.signature === seen.signature);
  const updated: IncidentMemory = previous
    ? {
        ...previous,
        incidentId: seen.incidentId,
        lastSeen: seen.at,
        count: previous.count + 1,
        lastAction: seen.action,
        ...(seen.guardrail !== undefined ? { lastGuardrail: seen.guardrail } : {}),
        recent: [...(previous.recent ?? []), seen.at].slice(-historyLimits.recent),
        ...(seen.rule !== undefined ? { rule: seen.rule } : {}),
      }
    : {
        signature: seen.signature,
        incidentId: seen.incidentId,
        firstSeen: seen.at,
        lastSeen: seen.at,
        count: 1,
        lastAction: seen.action,
        ...(seen.guardrail !== undefined ? { lastGuardrail: seen.guardrail } : {}),
        recent: [seen.at],
        ...(seen.rule !== undefined ? { rule: seen.rule } : {}),
      };
  const incidents = [...history.incidents.filter((m) => m.signature !== seen.signature), updated]
    .filter((m) => (parseTime(m.lastSeen) ?? 0) >= now - INCIDENT_RETENTION_MS)
    .sort((a, b) => (parseTime(a.lastSeen) ?? 0) - (parseTime(b.lastSeen) ?? 0))
    .slice(-historyLimits.incidents);
  return { ...history, incidents };
}

/**
 * The remembered incident with this signature if it was last seen within `windowMs` before `now`:
 * the same error repeating (or re-read on the next cycle) belongs to it rather than opening a new one.
 */
export function findOpenIncident(history: ContainerHistory, signature: string, now: number, windowMs: number): IncidentMemory | undefined {
  const memory = history.incidents.find((m) => m.signature === signature);
  if (!memory) return undefined;
  const last = parseTime(memory.lastSeen);
  if (last === null || last < now - windowMs) return undefined;
  return memory;
}

/** Incidents diagnosed by catalog rule `rule` and last seen within `windowMs` before `now`. */
export function incidentsWithRule(history: ContainerHistory, rule: string, now: number, windowMs: number): IncidentMemory[] {
  return history.incidents.filter((m) => m.rule === rule && (parseTime(m.lastSeen) ?? 0) >= now - windowMs);
}


/**
 * An exit found by reconciliation this long after it happened predates the doctor's watch: people
 * have had time to notice, and restarting a container that has sat dead for hours surprises more
 * than it helps. Fresh exits found at start-up (the doctor was briefly down) are still acted on.
 */
export const STALE_EXIT_AFTER_MS = HOUR_MS;

/** Whether an exit found by reconciliation (trigger `exited`) happened more than `STALE_EXIT_AFTER_MS` ago. */
export function isStaleExit(triggerKind: string, finishedAt: string | null, now: number): boolean {
  if (triggerKind !== 'exited') return false;
  const finished = parseTime(finishedAt);
  return finished !== null && now - finished > STALE_EXIT_AFTER_MS;
}
