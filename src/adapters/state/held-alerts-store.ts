/**
 * Alerts that quiet hours hold back, kept in STATE_DIR/held-alerts.json until the quiet hours end,
 * so a doctor killed or restarted at 3 a.m. still sends them when people are awake (and never at
 * the moment it stops). Written atomically on every change; checked on load.
 */
import path from 'node:path';
import type { AuditRecord } from '../../core/types.js';
import type { StorageHealthSink } from '../../pipeline/ports.js';
import { SerialJsonWriter, loadStateFile } from './json-file.js';

interface HeldAlertsFile {
  readonly v: 1;
  readonly records: AuditRecord[];
}

function isRecord(v: unknown): v is AuditRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as AuditRecord;
  const isObject = (x: unknown) => typeof x === 'object' && x !== null;
  return typeof r.incidentId === 'string' && typeof r.time === 'string' && isObject(r.container) && typeof r.container.name === 'string' && isObject(r.trigger) && isObject(r.evidence) && isObject(r.diagnosis) && isObject(r.decision) && isObject(r.outcome);
}

function isHeldAlertsFile(v: unknown): v is HeldAlertsFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as HeldAlertsFile;
  return f.v === 1 && Array.isArray(f.records) && f.records.every(isRecord);
}

export class HeldAlertsStore {
  private readonly writer: SerialJsonWriter;

  private constructor(
    readonly file: string,
    /** What the file held when the doctor started. */
    readonly loaded: readonly AuditRecord[],
    /** A damaged file was moved aside here at open. */
    readonly recoveredFrom: string | undefined,
    health: StorageHealthSink | undefined,
  ) {
    this.writer = new SerialJsonWriter(file, health);
  }

  static async open(stateDir: string, opts: { readonly health?: StorageHealthSink } = {}): Promise<HeldAlertsStore> {
    const file = path.join(stateDir, 'held-alerts.json');
    const { value, recoveredFrom } = await loadStateFile(file, isHeldAlertsFile);
    return new HeldAlertsStore(file, value?.records ?? [], recoveredFrom, opts.health);
  }

  /** Replaces what the file holds; concurrent calls are written in order, the last one wins. */
  save(records: readonly AuditRecord[]): Promise<void> {
    return this.writer.write({ v: 1, records: [...records] } satisfies HeldAlertsFile);
  }

  /** Resolves when every write asked for so far has finished (at shutdown). */
  settled(): Promise<void> {
    return this.writer.settled();
  }
}
