/**
 * What people asked for, kept across restarts of the doctor: proposals waiting for approval (and
 * the latest answered ones, so a late click is told what happened), snoozes and "never
 * auto-restart" overrides per container. STATE_DIR/people.json, written atomically and checked on load.
 */
import path from 'node:path';
import * as z from 'zod/mini';
import '../../core/zod-english.js';
import type { Proposal } from '../../core/approval.js';
import type { ContainerHolds } from '../../core/people-gate.js';
import type { StorageHealthSink } from '../../pipeline/ports.js';
import { SerialJsonWriter, loadStateFile } from './json-file.js';

/** Answered proposals kept for late answers; pending ones are always kept. */
const ANSWERED_KEPT = 200;

const id = () => z.string().check(z.minLength(1));
const person = z.looseObject({ id: id(), name: z.optional(z.string()), via: z.enum(['slack', 'http']) });
const proposal = z.looseObject({
  incidentId: id(),
  occurrence: z.int().check(z.positive()),
  host: z.string(),
  containerId: id(),
  containerName: id(),
  trigger: z.looseObject({ kind: z.string(), at: z.string() }),
  startedAt: z.nullable(z.string()),
  finishedAt: z.nullable(z.string()),
  running: z.boolean(),
  proposedAt: z.number(),
  expiresAt: z.number(),
  ask: z.boolean(),
  reason: z.string(),
  guardrail: z.nullable(z.string()),
  status: z.enum(['pending', 'approved', 'refused', 'expired', 'superseded']),
  answer: z.optional(z.looseObject({ by: z.optional(person), at: z.string(), detail: z.string() })),
  record: z.looseObject({ incidentId: z.string(), decision: z.looseObject({ action: z.string() }) }),
});
const holds = z.looseObject({
  snooze: z.optional(z.looseObject({ until: z.number(), by: person, at: z.number() })),
  never: z.optional(z.looseObject({ by: person, at: z.number() })),
});
const peopleFileSchema = z.looseObject({
  v: z.literal(1),
  proposals: z.array(proposal),
  holds: z.record(z.string(), holds),
});

interface PeopleFile {
  readonly v: 1;
  readonly proposals: Proposal[];
  /** Keyed by host and container name (historyKey), like the history: a recreated container keeps them. */
  readonly holds: Record<string, ContainerHolds>;
}

export class PeopleStore {
  private readonly writer: SerialJsonWriter;

  private constructor(
    readonly file: string,
    private proposals: Proposal[],
    private holds: Record<string, ContainerHolds>,
    /** A damaged file was moved aside here at open. */
    readonly recoveredFrom: string | undefined,
    health: StorageHealthSink | undefined,
  ) {
    this.writer = new SerialJsonWriter(file, health);
  }

  static async open(stateDir: string, opts: { readonly health?: StorageHealthSink } = {}): Promise<PeopleStore> {
    const file = path.join(stateDir, 'people.json');
    const { value, recoveredFrom } = await loadStateFile(file, peopleFileSchema as unknown as z.ZodMiniType<PeopleFile>);
    return new PeopleStore(file, [...(value?.proposals ?? [])], { ...value?.holds }, recoveredFrom, opts.health);
  }

  proposal(incidentId: string): Proposal | undefined {
    // The newest first: an incident proposed again (a later occurrence) answers for itself.
    for (let i = this.proposals.length - 1; i >= 0; i -= 1) if (this.proposals[i]!.incidentId === incidentId) return this.proposals[i];
    return undefined;
  }

  pending(): Proposal[] {
    return this.proposals.filter((p) => p.status === 'pending');
  }

  /** Adds or replaces (same incident and occurrence) a proposal. */
  putProposal(next: Proposal): void {
    const i = this.proposals.findIndex((p) => p.incidentId === next.incidentId && p.occurrence === next.occurrence);
    if (i >= 0) this.proposals[i] = next;
    else this.proposals.push(next);
    const answered = this.proposals.filter((p) => p.status !== 'pending');
    if (answered.length > ANSWERED_KEPT) {
      const drop = new Set(answered.slice(0, answered.length - ANSWERED_KEPT));
      this.proposals = this.proposals.filter((p) => !drop.has(p));
    }
  }

  holdsOf(key: string): ContainerHolds {
    return this.holds[key] ?? {};
  }

  allHolds(): Readonly<Record<string, ContainerHolds>> {
    return this.holds;
  }

  setHolds(key: string, next: ContainerHolds): void {
    if (next.snooze === undefined && next.never === undefined) delete this.holds[key];
    else this.holds[key] = next;
  }

  /** Writes the file; concurrent calls are serialised. A failure is thrown: a person's instruction must not be lost silently. */
  save(): Promise<void> {
    return this.writer.write({ v: 1, proposals: this.proposals, holds: this.holds } satisfies PeopleFile);
  }
}
