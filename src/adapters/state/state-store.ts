import path from 'node:path';
import { StateError } from '../../core/errors.js';
import type { ContainerHistory } from '../../core/types.js';
import { readJsonFile, writeJsonAtomic } from './json-file.js';

interface StateFile {
  readonly v: 1;
  readonly savedAt: string;
  /** Keyed by `historyKey()`: host and name, so history survives a container being recreated. */
  readonly containers: Record<string, ContainerHistory>;
  /** Per engine: time of the last event handled, to resume the events stream after a restart. */
  readonly lastEventMs: Record<string, number>;
}

const emptyHistory: ContainerHistory = Object.freeze({ deaths: [], ooms: [], restarts: [], incidents: [] });

function isStateFile(v: unknown): v is StateFile {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<StateFile>;
  return s.v === 1 && typeof s.containers === 'object' && s.containers !== null && typeof s.lastEventMs === 'object';
}


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
    /** Set when a damaged state file was moved aside at open. */
    readonly recoveredFrom: string | undefined,
  ) {}

  static async open(stateDir: string): Promise<StateStore> {
    const file = path.join(stateDir, 'state.json');
    try {
      const read = await readJsonFile(file, isStateFile);
      if (read.kind === 'ok') {
        return new StateStore(file, { containers: { ...read.value.containers }, lastEventMs: { ...read.value.lastEventMs } }, undefined);
      }
      return new StateStore(file, { containers: {}, lastEventMs: {} }, read.kind === 'corrupt' ? read.movedTo : undefined);
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
      if (!this.dirty) return;
      this.dirty = false;
      const snapshot: StateFile = { v: 1, savedAt: new Date().toISOString(), ...this.state };
      try {
        await writeJsonAtomic(this.file, snapshot);
      } catch (error) {
        this.dirty = true;
        throw new StateError(`cannot write state file ${this.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
          cause: error,
        });
      }
    });
    this.saving = next.catch(() => undefined);
    return next;
  }
}
