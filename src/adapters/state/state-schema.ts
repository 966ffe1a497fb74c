/**
 * The shape of state.json, checked on load: a file with valid JSON but wrong types
 * (`"deaths": "zzz"`) would otherwise be accepted and break every later incident of that
 * container. Unknown fields are kept (`looseObject`), so a newer doctor's additions survive an
 * older one's load-and-save.
 */
import { z } from 'zod';
import type { ContainerHistory } from '../../core/types.js';

const isoTimes = z.array(z.string());

const incidentMemory = z.looseObject({
  signature: z.string(),
  incidentId: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  count: z.number().int().nonnegative(),
  lastAction: z.string(),
  lastGuardrail: z.string().nullable().optional(),
  rule: z.string().optional(),
  recent: isoTimes.optional(),
});

const containerHistory = z.looseObject({
  deaths: isoTimes,
  ooms: isoTimes,
  restarts: isoTimes,
  incidents: z.array(incidentMemory),
  lastHandledExit: z.string().optional(),
  containerId: z.string().optional(),
});

export const stateFileSchema = z.looseObject({
  v: z.literal(1),
  savedAt: z.string().optional(),
  containers: z.record(z.string(), containerHistory),
  lastEventMs: z.record(z.string(), z.number().finite()),
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
export const stateFile = stateFileSchema as unknown as z.ZodType<StateFile>;
