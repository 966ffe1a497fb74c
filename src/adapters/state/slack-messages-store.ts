/**
 * Which Slack message told of which incident (channel, ts, and what it said), kept in
 * STATE_DIR/slack-messages.json so a doctor restarted after posting still updates the original
 * message in place when the proposal is answered, from Slack, the terminal or the timeout.
 * Written atomically after each post; checked on load.
 */
import path from 'node:path';
import type { StorageHealthSink } from '../../pipeline/ports.js';
import { SerialJsonWriter, loadStateFile } from './json-file.js';

/** A posted message as chat.update needs it. `blocks` are Block Kit blocks, kept as posted. */
export interface PostedMessage {
  readonly channel: string;
  readonly ts: string;
  readonly blocks: readonly unknown[];
  readonly text: string;
}

interface SlackMessagesFile {
  readonly v: 1;
  /** Oldest first: [incidentId, message]. */
  readonly messages: Array<[string, PostedMessage]>;
}

function isPosted(v: unknown): v is PostedMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as PostedMessage;
  return typeof m.channel === 'string' && typeof m.ts === 'string' && typeof m.text === 'string' && Array.isArray(m.blocks);
}

function isMessagesFile(v: unknown): v is SlackMessagesFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as SlackMessagesFile;
  return f.v === 1 && Array.isArray(f.messages) && f.messages.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && isPosted(e[1]));
}

export class SlackMessagesStore {
  private readonly writer: SerialJsonWriter;

  private constructor(
    readonly file: string,
    readonly loaded: ReadonlyArray<readonly [string, PostedMessage]>,
    /** A damaged file was moved aside here at open. */
    readonly recoveredFrom: string | undefined,
    health: StorageHealthSink | undefined,
  ) {
    this.writer = new SerialJsonWriter(file, health);
  }

  static async open(stateDir: string, opts: { readonly health?: StorageHealthSink } = {}): Promise<SlackMessagesStore> {
    const file = path.join(stateDir, 'slack-messages.json');
    const { value, recoveredFrom } = await loadStateFile(file, isMessagesFile);
    return new SlackMessagesStore(file, value?.messages ?? [], recoveredFrom, opts.health);
  }

  /** Replaces what the file holds (oldest first); writes happen in order, the last one wins. */
  save(messages: ReadonlyMap<string, PostedMessage>): Promise<void> {
    return this.writer.write({ v: 1, messages: [...messages] } satisfies SlackMessagesFile);
  }
}
