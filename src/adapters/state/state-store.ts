import type { StorageHealthSink } from '../../pipeline/ports.js';
import path from 'node:path';
import { StateError, describeWriteError } from '../../core/errors.js';
import type { ContainerHistory } from '../../core/types.js';
import { readJsonFile, writeJsonAtomic } from './json-file.js';
import { stateFile, type StateFile } from './state-schema.js';

const emptyHistory: ContainerHistory = Object.freeze({ deaths: [], ooms: [], restarts: [], incidents: [] });

/**
 * The doctor's memory across its own restarts: per-container death, OOM, restart and incident
 * history (Docker's RestartCount resets on `docker restart` and ignores API restarts, so the
 * doctor keeps its own), and where each events stream left off. Saved atomically after changes.
 */
export class StateStore {
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    readonly file: string,
    private state: { containers: Record<string, ContainerHistory>; lastEventMs: Record<string, number> },
    /** Set when a damaged state file (not JSON, or the wrong shape) was moved aside at open. */
    readonly recoveredFrom: string | undefined,
    /** What was wrong with it. */
    readonly damage: string | undefined,
    private readonly health: StorageHealthSink | undefined,
    private readonly readOnly: boolean,
  ) {}

  /** `readOnly` (`doctor diagnose` without --fix): read, changed in memory only, never written or moved. */
  static async open(stateDir: string, opts: { readonly health?: StorageHealthSink; readonly readOnly?: boolean } = {}): Promise<StateStore> {
    const file = path.join(stateDir, 'state.json');
    const readOnly = opts.readOnly === true;
    try {
      const read = await readJsonFile(file, stateFile, { readOnly });
      if (read.kind === 'ok') {
        return new StateStore(file, { containers: { ...read.value.containers }, lastEventMs: { ...read.value.lastEventMs } }, undefined, undefined, opts.health, readOnly);
      }
      const damaged = read.kind === 'corrupt' ? read : undefined;
      return new StateStore(file, { containers: {}, lastEventMs: {} }, damaged?.movedTo, damaged?.reason, opts.health, readOnly);
    } catch (error) {
      throw new StateError(`cannot read state file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }

  history(key: string): ContainerHistory {
    return this.state.containers[key] ?? emptyHistory;
  }

  /** `docker rename`: the history follows the container to its new name (unless that name has one). */
  renameHistory(fromKey: string, toKey: string): void {
    const history = this.state.containers[fromKey];
    if (history === undefined || fromKey === toKey || this.state.containers[toKey] !== undefined) return;
    this.state.containers[toKey] = history;
    delete this.state.containers[fromKey];
    this.dirty = true;
  }

  setHistory(key: string, history: ContainerHistory): void {
    this.state.containers[key] = history;
    this.dirty = true;
  }

  lastEventMs(host: string): number | undefined {
    return this.state.lastEventMs[host || 'local'];
  }

  setLastEventMs(host: string, ms: number): void {
    const key = host || 'local';
    if ((this.state.lastEventMs[key] ?? 0) >= ms) return;
    this.state.lastEventMs[key] = ms;
    this.dirty = true;
  }

  /** Writes the state if it changed; concurrent calls are serialised. */
  save(): Promise<void> {
    const next = this.saving.then(async () => {
      if (!this.dirty || this.readOnly) return;
      this.dirty = false;
      const snapshot: StateFile = { v: 1, savedAt: new Date().toISOString(), ...this.state };
      try {
        await writeJsonAtomic(this.file, snapshot);
        this.health?.succeeded(this.file);
      } catch (error) {
        this.dirty = true;
        this.health?.failed(this.file, describeWriteError(error));
        throw new StateError(`cannot write state file ${this.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
          cause: error,
        });
      }
    });
    this.saving = next.catch(() => undefined);
    return next;
  }
}
