import type { StorageHealthSink } from '../../pipeline/ports.js';
import path from 'node:path';
import { StateError, describeWriteError } from '../../core/errors.js';
import { appendStep, emptyStory, storyLimits, type ContainerStory, type Coverage, type StoryStep } from '../../core/story.js';
import type { OpenStorm } from '../../core/storm.js';
import { readJsonFile, writeJsonAtomic } from './json-file.js';

/** Per engine: how far the story is complete, and where the events stream left off. */
interface HostCoverage {
  /** ms since which every event of this engine is in the stories; null when unknown. */
  knownSince: number | null;
  /** Time of the newest event taken in: the next replay starts here. */
  lastEventMs: number | null;
  /** Spans whose events were lost (engine buffer overrun while the doctor was away), newest last. */
  gaps: { from: number; to: number }[];
  /** A storm on for this engine (absent when none is). */
  storm?: OpenStorm;
}

interface StoryFile {
  readonly v: 1;
  readonly savedAt: string;
  readonly hosts: Record<string, HostCoverage>;
  readonly stories: Record<string, ContainerStory>;
}

/** At most this many containers' stories are kept (the least recently changed go first). */
const MAX_STORIES = 5_000;
const MAX_GAPS = 20;

function isStep(v: unknown): v is StoryStep {
  return typeof v === 'object' && v !== null && typeof (v as StoryStep).at === 'number' && typeof (v as StoryStep).kind === 'string';
}

function isStory(v: unknown): v is ContainerStory {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as ContainerStory;
  return typeof s.id === 'string' && typeof s.host === 'string' && typeof s.name === 'string' && Array.isArray(s.steps) && s.steps.every(isStep);
}

function isHost(v: unknown): v is HostCoverage {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as HostCoverage;
  const msOrNull = (x: unknown) => x === null || typeof x === 'number';
  return msOrNull(h.knownSince) && msOrNull(h.lastEventMs) && Array.isArray(h.gaps) && (h.storm === undefined || isOpenStorm(h.storm));
}

function isOpenStorm(v: unknown): v is OpenStorm {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as OpenStorm;
  return typeof o.incidentId === 'string' && typeof o.startedAt === 'number' && typeof o.lastSignalAt === 'number' && typeof o.cause === 'string' && (o.settledAt === undefined || typeof o.settledAt === 'number');
}

function isStoryFile(v: unknown): v is StoryFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as StoryFile;
  return (
    f.v === 1 &&
    typeof f.hosts === 'object' && f.hosts !== null && Object.values(f.hosts).every(isHost) &&
    typeof f.stories === 'object' && f.stories !== null && Object.values(f.stories).every(isStory)
  );
}

function storyKey(host: string, id: string): string {
  return `${host || 'local'}|${id}`;
}

/**
 * Every watched container's story and each engine's coverage, in `STATE_DIR/stories.json`. Steps
 * are taken in as events arrive and written at most every `flushMs` (a kill -9 loses at most that
 * much, which the replay on the next start recovers from the engine); `save()` writes at once, and
 * the doctor calls it before every action, so a decision never rests on a story that is not on disk.
 */
export class StoryStore {
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly file: string,
    private readonly hosts: Record<string, HostCoverage>,
    private readonly stories: Map<string, ContainerStory>,
    /** Set when a damaged story file was moved aside at open. */
    readonly recoveredFrom: string | undefined,
    /** What was wrong with the story file at open, when it was damaged (moved aside, or left as it was when read-only). */
    readonly damage: string | undefined,
    private readonly flushMs: number,
    private readonly readOnly: boolean,
    private readonly health: StorageHealthSink | undefined,
  ) {}

  /** `readOnly`: stories are read and may be added to in memory, never written (`doctor diagnose` without --fix). */
  static async open(stateDir: string, opts: { flushMs?: number; readOnly?: boolean; health?: StorageHealthSink } = {}): Promise<StoryStore> {
    const file = path.join(stateDir, 'stories.json');
    try {
      const read = await readJsonFile(file, isStoryFile, { readOnly: opts.readOnly === true });
      const value = read.kind === 'ok' ? read.value : undefined;
      return new StoryStore(
        file,
        { ...(value?.hosts ?? {}) },
        new Map(Object.entries(value?.stories ?? {})),
        read.kind === 'corrupt' ? read.movedTo : undefined,
        read.kind === 'corrupt' ? read.reason : undefined,
        opts.flushMs ?? 1_000,
        opts.readOnly === true,
        opts.health,
      );
    } catch (error) {
      throw new StateError(`cannot read story file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }

  story(host: string, id: string): ContainerStory | undefined {
    return this.stories.get(storyKey(host, id));
  }

  storiesOf(host: string): ContainerStory[] {
    return [...this.stories.values()].filter((s) => s.host === host);
  }

  /** Every story on file, whatever the engine (`doctor report` on a copied STATE_DIR knows no hosts). */
  allStories(): ContainerStory[] {
    return [...this.stories.values()];
  }

  /** Adds one step to a container's story (creating it), returning the story as it now stands. */
  append(host: string, id: string, name: string, step: StoryStep, now: number): ContainerStory {
    const key = storyKey(host, id);
    const before = this.stories.get(key) ?? emptyStory(id, host, name);
    const after = appendStep(name && before.name !== name && step.kind !== 'rename' ? { ...before, name } : before, step, now);
    if (after !== before) {
      // Re-insert so the map's order is "least recently changed first" for the bound below.
      this.stories.delete(key);
      this.stories.set(key, after);
      while (this.stories.size > MAX_STORIES) this.stories.delete(this.stories.keys().next().value!);
      this.markDirty();
    }
    return after;
  }

  /** Forgets stories whose newest step is older than the story age limit. */
  prune(now: number): void {
    for (const [key, story] of this.stories) {
      const newest = story.steps[story.steps.length - 1]?.at ?? 0;
      if (newest < now - storyLimits.ageMs) {
        this.stories.delete(key);
        this.dirty = true;
      }
    }
  }

  coverage(host: string): Coverage & { readonly gaps: readonly { from: number; to: number }[] } {
    const h = this.hosts[host || 'local'];
    return { knownSince: h?.knownSince ?? null, gaps: h?.gaps ?? [] };
  }

  /** Where the next replay of this engine's events starts: the newest event taken in. */
  lastEventMs(host: string): number | undefined {
    return this.hosts[host || 'local']?.lastEventMs ?? undefined;
  }

  setLastEventMs(host: string, ms: number): void {
    const h = this.host(host);
    if ((h.lastEventMs ?? 0) >= ms) return;
    h.lastEventMs = ms;
    this.markDirty();
  }

  /**
   * Records what a replay of `[from, to]` found: complete (the story is known from `from`, or
   * stays known from earlier) or cut short by the engine's buffer (known only from `completeFrom`,
   * with a gap before it).
   */
  recordReplay(host: string, from: number, to: number, completeFrom: number): void {
    const h = this.host(host);
    const continuous = h.lastEventMs !== null && from <= h.lastEventMs + 1_000;
    if (completeFrom > from) {
      h.gaps = [...h.gaps, { from: h.lastEventMs ?? from, to: completeFrom }].slice(-MAX_GAPS);
      h.knownSince = completeFrom;
    } else if (!continuous || h.knownSince === null) {
      if (h.lastEventMs !== null && !continuous) h.gaps = [...h.gaps, { from: h.lastEventMs, to: from }].slice(-MAX_GAPS);
      h.knownSince = from;
    }
    if ((h.lastEventMs ?? 0) < to) h.lastEventMs = to;
    this.markDirty();
  }

  /** The storm on for this engine, as the doctor that saw it last left it. */
  openStorm(host: string): OpenStorm | undefined {
    return this.hosts[host || 'local']?.storm;
  }

  /** Keeps the storm on for this engine (undefined: it settled). */
  setOpenStorm(host: string, storm: OpenStorm | undefined): void {
    const h = this.host(host);
    if (storm) h.storm = storm;
    else if (h.storm) delete h.storm;
    else return;
    this.markDirty();
  }

  private host(host: string): HostCoverage {
    const key = host || 'local';
    this.hosts[key] ??= { knownSince: null, lastEventMs: null, gaps: [] };
    return this.hosts[key]!;
  }

  private markDirty(): void {
    this.dirty = true;
    if (this.timer || this.flushMs <= 0 || this.readOnly) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save().catch(() => undefined);
    }, this.flushMs);
    this.timer.unref();
  }

  /** Writes the stories if they changed; concurrent calls are serialised. */
  save(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const next = this.saving.then(async () => {
      if (!this.dirty || this.readOnly) return;
      this.dirty = false;
      const snapshot: StoryFile = { v: 1, savedAt: new Date().toISOString(), hosts: this.hosts, stories: Object.fromEntries(this.stories) };
      try {
        await writeJsonAtomic(this.file, snapshot);
        this.health?.succeeded(path.basename(this.file));
      } catch (error) {
        this.dirty = true;
        this.health?.failed(path.basename(this.file), describeWriteError(error));
        throw new StateError(`cannot write story file ${this.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
      }
    });
    this.saving = next.catch(() => undefined);
    return next;
  }
}
