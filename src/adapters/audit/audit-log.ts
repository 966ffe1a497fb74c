import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StateError, describeWriteError } from '../../core/errors.js';
import { fileLines } from './file-lines.js';
import type { AuditEvent, AuditRecord, IncidentNoteEvent, OutcomeEvent } from '../../core/types.js';
import type { AuditSink, StorageHealthSink } from '../../pipeline/ports.js';

/**
 * The audit log: one JSON object per line, appended and flushed to disk before `append` resolves,
 * so a `kill -9` loses at most the record being written. A torn last line (from such a kill) is
 * sealed with a newline on open, so the next record never fuses with it, and readers skip it.
 *
 * Two kinds of line share the file, in the order they happened: incident records (`AuditRecord`,
 * no `kind` field) and events (`AuditEvent`, with a `kind`: the outcome of an action written
 * ahead, a repeat, a deferral, a recovery, a Slack delivery failure). A restart is written ahead:
 * its record (outcome `pending`) before the restart call, its `outcome` line after the check.
 */
export class AuditLog implements AuditSink {
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly health: StorageHealthSink | undefined,
  ) {}

  /** `health`: told when appends start and stop failing (a full STATE_DIR turns /health degraded). */
  static async open(file: string, opts: { health?: StorageHealthSink } = {}): Promise<AuditLog> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'a+');
      const { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) await handle.appendFile('\n');
      }
    } catch (error) {
      throw new StateError(`cannot open audit log ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
    return new AuditLog(file, handle, opts.health);
  }

  get path(): string {
    return this.file;
  }

  append(record: AuditRecord): Promise<void> {
    return this.writeLine(record);
  }

  /** Records something that is not an incident (a delivery failure) beside the incidents. */
  appendEvent(event: AuditEvent): Promise<void> {
    return this.writeLine(event);
  }

  private writeLine(value: AuditRecord | AuditEvent): Promise<void> {
    const line = `${JSON.stringify(value)}\n`;
    const write = this.tail.then(async () => {
      await this.handle.appendFile(line);
      await this.handle.datasync();
    });
    write.then(
      () => this.health?.succeeded(path.basename(this.file)),
      (error: unknown) => this.health?.failed(path.basename(this.file), describeWriteError(error)),
    );
    // Keep the chain alive after a failure; the caller of this append still sees the error.
    this.tail = write.catch(() => undefined);
    return write.catch((error: unknown) => {
      throw new StateError(`cannot append to audit log ${this.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    });
  }

  async find(container: string, incidentId: string, occurrence: number): Promise<AuditRecord | undefined> {
    await this.tail;
    const { records } = await readAuditLog(this.file, { container });
    return records.find((r) => r.incidentId === incidentId && r.occurrence === occurrence);
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle.close();
  }
}

export interface AuditQuery {
  readonly container?: string;
  /** Newest first, at most this many. */
  readonly limit?: number;
  /** Only records at or after this time (ms). */
  readonly sinceMs?: number;
}

export interface AuditReadResult {
  /** Newest first. */
  readonly records: AuditRecord[];
  /** Lines that were neither records nor events (a torn line after a crash, or damage). */
  readonly skipped: number;
}

/** Event lines carry a `kind`; incident records never do. */
function eventKind(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : undefined;
}

function isRecord(value: unknown): value is AuditRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<AuditRecord>;
  return typeof r.incidentId === 'string' && typeof r.time === 'string' && typeof r.container?.name === 'string';
}

function isOutcome(value: unknown): value is OutcomeEvent {
  const o = value as Partial<OutcomeEvent>;
  return typeof o.incidentId === 'string' && typeof o.occurrence === 'number' && typeof o.outcome?.status === 'string';
}

const recordKey = (incidentId: string, occurrence: number) => `${incidentId}#${occurrence}`;

/** A record written ahead whose outcome line never came: the doctor stopped before it could verify. */
function withUnverified(record: AuditRecord): AuditRecord {
  if (record.outcome.status !== 'pending') return record;
  return { ...record, outcome: { ...record.outcome, detail: `${record.outcome.detail}; no outcome was recorded (the doctor stopped before it could verify)` } };
}

/**
 * Streams the log and keeps only the incident records the query asks for, so memory stays bounded
 * by `limit` however long the file has grown. An outcome line (write-ahead audit) is joined to the
 * record it completes; other event lines are passed over (they are not damage). A missing file is
 * an empty log.
 */
export async function readAuditLog(file: string, query: AuditQuery = {}): Promise<AuditReadResult> {
  try {
    await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: 0 };
    throw new StateError(`cannot read audit log ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  let kept: AuditRecord[] = [];
  /** Records written ahead and still waiting for their outcome line, by incident and occurrence. */
  const awaiting = new Map<string, number>();
  let skipped = 0;
  const lines = fileLines(file);
  const trim = (): void => {
    if (!Number.isFinite(limit) || kept.length <= limit * 2) return;
    kept = kept.slice(kept.length - limit);
    awaiting.clear();
    kept.forEach((r, i) => {
      if (r.outcome.status === 'pending') awaiting.set(recordKey(r.incidentId, r.occurrence), i);
    });
  };
  try {
    for await (const line of lines) {
      if (line.trim().length === 0) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        skipped += 1;
        continue;
      }
      const kind = eventKind(parsed);
      if (kind === 'outcome' && isOutcome(parsed)) {
        const key = recordKey(parsed.incidentId, parsed.occurrence);
        const at = awaiting.get(key);
        if (at !== undefined && kept[at]) {
          const record = kept[at]!;
          kept[at] = { ...record, decision: { ...record.decision, executed: parsed.executed }, outcome: parsed.outcome };
          awaiting.delete(key);
        }
        continue;
      }
      if (kind !== undefined) continue;
      if (!isRecord(parsed)) {
        skipped += 1;
        continue;
      }
      if (query.container && parsed.container.name !== query.container && parsed.container.id !== query.container) continue;
      if (query.sinceMs !== undefined && Date.parse(parsed.time) < query.sinceMs) continue;
      kept.push(parsed);
      if (parsed.outcome.status === 'pending') awaiting.set(recordKey(parsed.incidentId, parsed.occurrence), kept.length - 1);
      trim();
    }
  } catch (error) {
    throw new StateError(`cannot read audit log ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  // File order is the order records were written; incidents handled at the same time finish in
  // any order (a restart waits for its settle time), so "newest" goes by the incident's own time.
  const newestFirst = kept
    .map((record, index) => ({ record: withUnverified(record), index, at: Date.parse(record.time) || Number.NEGATIVE_INFINITY }))
    .sort((a, b) => (a.at !== b.at ? (b.at > a.at ? 1 : -1) : b.index - a.index))
    .map((x) => x.record);
  return { records: Number.isFinite(limit) ? newestFirst.slice(0, limit) : newestFirst, skipped };
}

function isNote(value: unknown): value is IncidentNoteEvent {
  const n = value as Partial<IncidentNoteEvent>;
  return (n.kind === 'repeat' || n.kind === 'deferred' || n.kind === 'recovery') && typeof n.time === 'string' && typeof n.container?.name === 'string';
}

/**
 * The repeat, deferral and recovery lines (oldest first) at or after `sinceMs`: what `doctor
 * report` counts beside the records. Damaged lines are left to `readAuditLog` to count.
 */
export async function readAuditNotes(file: string, query: { readonly sinceMs?: number } = {}): Promise<IncidentNoteEvent[]> {
  const notes: IncidentNoteEvent[] = [];
  const lines = fileLines(file);
  try {
    for await (const line of lines) {
      if (!line.includes('"kind"')) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isNote(parsed)) continue;
      if (query.sinceMs !== undefined && Date.parse(parsed.time) < query.sinceMs) continue;
      notes.push(parsed);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StateError(`cannot read audit log ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  return notes;
}
