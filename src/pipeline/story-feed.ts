/**
 * Engine events as story steps. The events stream and the replay both go through here, so the
 * live story and the rebuilt one read the same.
 */
import { signalName, type StoryStep } from '../core/story.js';
import type { ContainerEvent, DockerEngine, StoryLedger } from './ports.js';

const PLAIN: Readonly<Record<string, StoryStep['kind']>> = {
  create: 'create',
  start: 'start',
  stop: 'stop',
  oom: 'oom',
  pause: 'pause',
  unpause: 'unpause',
  destroy: 'destroy',
  restart: 'restart',
};

/** The step an event adds to its container's story; undefined for events the story does not keep. */
export function stepFromEvent(event: ContainerEvent): StoryStep | undefined {
  const at = event.timeMs;
  const { action, attributes } = event;
  const plain = PLAIN[action];
  if (plain) return { at, kind: plain };
  if (action === 'kill') return { at, kind: 'kill', signal: signalName(attributes['signal']) };
  if (action === 'die') {
    const code = Number.parseInt(attributes['exitCode'] ?? '', 10);
    return { at, kind: 'die', ...(Number.isFinite(code) ? { exitCode: code } : {}) };
  }
  if (action === 'rename') {
    return { at, kind: 'rename', name: attributes['name'] ?? event.name, oldName: (attributes['oldName'] ?? '').replace(/^\//, '') };
  }
  if (action.startsWith('health_status')) {
    const status = action.slice(action.indexOf(':') + 1).trim();
    if (status === 'healthy' || status === 'unhealthy' || status === 'starting') return { at, kind: 'health', health: status };
  }
  return undefined;
}

/**
 * Rebuilds one container's story from what the engine still holds since its current run began
 * (`doctor diagnose`), so a one-shot diagnosis knows who stopped it, as the watcher does.
 * Returns false when the engine's buffer no longer reaches back that far.
 */
export async function replayContainer(
  engine: DockerEngine,
  stories: Pick<StoryLedger, 'append'>,
  container: { readonly id: string; readonly name: string; readonly sinceMs: number },
  now: number,
): Promise<boolean> {
  const replay = await engine.readEvents({ sinceMs: container.sinceMs, untilMs: now });
  for (const event of replay.events) {
    if (event.id !== container.id) continue;
    const step = stepFromEvent(event);
    if (step) stories.append(engine.host, event.id, event.name || container.name, step, now);
  }
  return replay.complete || (replay.oldestMs !== null && replay.oldestMs <= container.sinceMs);
}
