/**
 * The shape of state.json, checked on load: a file with valid JSON but wrong types
 * (`"deaths": "zzz"`) would otherwise be accepted and break every later incident of that
 * container. Unknown fields are kept (`looseObject`), so a newer doctor's additions survive an
 * older one's load-and-save.
 */
import * as z from 'zod/mini';
import '../../core/zod-english.js';
import type { ContainerHistory } from '../../core/types.js';

const isoTimes = z.array(z.string());

const incidentMemory = z.looseObject({
  signature: z.string(),
  incidentId: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  count: z.int().check(z.nonnegative()),
  lastAction: z.string(),
  lastGuardrail: z.optional(z.nullable(z.string())),
  rule: z.optional(z.string()),
  recent: z.optional(isoTimes),
});

const containerHistory = z.looseObject({
  deaths: isoTimes,
  ooms: isoTimes,
  restarts: isoTimes,
  incidents: z.array(incidentMemory),
  lastHandledExit: z.optional(z.string()),
  containerId: z.optional(z.string()),
});

export const stateFileSchema = z.looseObject({
  v: z.literal(1),
  savedAt: z.optional(z.string()),
  containers: z.record(z.string(), containerHistory),
  lastEventMs: z.record(z.string(), z.number()),
});

/** state.json as written by StateStore. */
export interface StateFile {
  readonly v: 1;
  readonly savedAt: string;
  /** Keyed by `historyKey()`: host and name, so history survives a container being recreated. */
  readonly containers: Record<string, ContainerHistory>;
  /** Per engine: time of the last event handled, to resume the events stream after a restart. */
  readonly lastEventMs: Record<string, number>;
}

/** The schema typed as the file it checks (the `lastAction` union is checked as a string, so new actions load). */
export const stateFile = stateFileSchema as unknown as z.ZodMiniType<StateFile>;
