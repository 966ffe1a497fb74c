import type { AuditRecord } from '../core/types.js';

/**
 * What the pipeline reports as it works. The CLI draws it (text or JSON lines); the pipeline
 * itself never prints.
 */
export type FeedEvent =
  | { readonly type: 'started'; readonly hosts: readonly string[]; readonly autoFix: boolean; readonly ai: boolean; readonly slack: boolean; readonly channels?: readonly string[]; /** The doctor's own container id, when it runs in one (it never acts on itself). */ readonly self?: string }
  | { readonly type: 'cycle'; readonly host: string; readonly targets: number; readonly durationMs: number; readonly at: string }
  | { readonly type: 'incident'; readonly record: AuditRecord }
  | { readonly type: 'repeat'; readonly host: string; readonly container: string; readonly incidentId: string; readonly count: number }
  | { readonly type: 'deferred'; readonly host: string; readonly container: string; readonly until: string; readonly reason: string }
  | { readonly type: 'restarting'; readonly host: string; readonly container: string; readonly incidentId: string }
  | { readonly type: 'recovered'; readonly host: string; readonly container: string; readonly incidentId: string; readonly afterMs: number }
  | { readonly type: 'engine-down'; readonly host: string; readonly error: string; readonly retryInMs: number }
  | { readonly type: 'engine-up'; readonly host: string }
  | { readonly type: 'diagnosis'; readonly host: string; readonly container: string; readonly ok: boolean; readonly error?: string }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'stopped'; readonly reason: string };

export type FeedListener = (event: FeedEvent) => void;
