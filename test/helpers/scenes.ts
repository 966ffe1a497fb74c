/**
 * Scenes for the decision-row and CLI tests: what Docker itself says happened to a test container
 * (its start events, its StartedAt), and local image tags that make busybox look like another image.
 */
import type { AuditRecord } from '../../src/core/types.js';
import type { Harness } from './doctor-harness.js';
import { TEST_IMAGE, testDocker, waitFor } from './engine.js';

/** Counts `start` events of some containers, as the engine reports them live. */
export interface StartCounter {
  count(id: string): number;
  close(): void;
}

/**
 * Follows the engine's events for these containers from now on and counts their starts: the first
 * start, Docker's restart policy and the doctor's restarts alike. A live subscription, because the
 * engine keeps only its last 256 events for `since` queries and a busy shared engine drops them.
 */
export async function countStarts(ids: readonly string[]): Promise<StartCounter> {
  const counts = new Map<string, number>(ids.map((id) => [id, 0]));
  const stream = (await testDocker().getEvents({
    filters: { container: [...ids], type: ['container'], event: ['start'] },
  } as never)) as unknown as NodeJS.ReadableStream & { destroy(): void };
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string } };
      const id = event.Actor?.ID ?? '';
      if (event.Action === 'start' && counts.has(id)) counts.set(id, counts.get(id)! + 1);
    }
  });
  stream.on('error', () => undefined);
  return {
    count: (id) => counts.get(id) ?? 0,
    close: () => stream.destroy(),
  };
}

/** `State.StartedAt` as Docker reports it now. */
export async function startedAt(id: string): Promise<string> {
  const info = await testDocker().getContainer(id).inspect();
  return info.State.StartedAt;
}

/** `State.Status` as Docker reports it now. */
export async function statusOf(id: string): Promise<string> {
  const info = await testDocker().getContainer(id).inspect();
  return info.State.Status;
}

/** Tags the test image locally as `repo:tag` (no registry involved); returns a function that removes the tag. */
export async function tagTestImage(repo: string, tag: string): Promise<() => Promise<void>> {
  await testDocker().getImage(TEST_IMAGE).tag({ repo, tag });
  return async () => {
    try {
      await testDocker().getImage(`${repo}:${tag}`).remove({ noprune: true });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  };
}

/** Waits until the harness has written at least `count` audit records for `container`, and returns them (oldest first). */
export async function waitForRecords(h: Harness, container: string, count = 1, timeoutMs = 30_000): Promise<AuditRecord[]> {
  return waitFor(
    async () => {
      const records = await h.records(container);
      return records.length >= count ? records : undefined;
    },
    { timeoutMs, what: `${count} audit record(s) for ${container}` },
  );
}

/** Waits for the first audit record for `container` that satisfies `match`. */
export async function waitForRecord(h: Harness, container: string, match: (r: AuditRecord) => boolean, what: string, timeoutMs = 30_000): Promise<AuditRecord> {
  return waitFor(async () => (await h.records(container)).find(match), { timeoutMs, what: `${what} for ${container}` });
}

/** Waits until the harness has finished `n` more reconcile cycles from now. */
export async function waitForCycles(h: Harness, n: number, timeoutMs = 30_000): Promise<void> {
  const seen = h.feed.filter((e) => e.type === 'cycle').length;
  await waitFor(() => h.feed.filter((e) => e.type === 'cycle').length >= seen + n, { timeoutMs, what: `${n} reconcile cycles` });
}

/** Names of the containers the doctor itself started restarting (its feed), for "never restarted by the doctor". */
export function doctorRestarts(h: Harness, container: string): number {
  return h.feed.filter((e) => e.type === 'restarting' && e.container === container).length;
}

/**
 * A command that fails the first time it runs and stays up after any restart: a container's
 * writable layer survives a restart, so the marker file tells the runs apart.
 */
export function failOnceThenRun(failure: string): string {
  return `if [ -f /tmp/ran ]; then exec sleep 3600; fi; touch /tmp/ran; ${failure}`;
}

/** Fails in its first two runs (the doctor's restart does not hold), runs from the third on. */
export function failTwiceThenRun(failure: string): string {
  return `if [ -f /tmp/ran2 ]; then exec sleep 3600; fi; if [ -f /tmp/ran ]; then touch /tmp/ran2; else touch /tmp/ran; fi; ${failure}`;
}

/**
 * Runs a command inside a running container and waits for it to finish. Attached, so the
 * connection ends with the command (a detached exec start leaves a socket open for minutes).
 */
export async function execIn(id: string, cmd: readonly string[]): Promise<void> {
  const exec = await testDocker().getContainer(id).exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: false, stdin: false } as never)) as unknown as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
    stream.resume();
  });
}
