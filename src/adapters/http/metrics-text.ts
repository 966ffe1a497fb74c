import type { BackendStats } from '../llm/diagnoser-chain.js';
import type { ChannelStats } from '../notify/delivery-queue.js';

/** Numbers /health reports (and /metrics reads at each scrape); assembled by the watch command from the pipeline and adapters. */
export interface MetricsSnapshot {
  readonly uptimeSeconds: number;
  readonly totals: {
    readonly incidents: number;
    readonly restarts: number;
    readonly restartFailures: number;
    readonly escalations: number;
    readonly repeats: number;
    readonly recoveries: number;
    readonly cycles: number;
  };
  readonly restartsPerContainer: Readonly<Record<string, number>>;
  readonly diagnoses: {
    readonly enabled: boolean;
    readonly remainingThisHour: number;
    readonly calls: number;
    readonly failures: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly estimatedCostUsd: number | null;
  };
  readonly slack: {
    readonly enabled: boolean;
    readonly delivered: number;
    readonly failed: number;
    readonly dropped: number;
    readonly failing: boolean;
    /** Why the last message failed (never contains the webhook URL). */
    readonly lastError: string | null;
    readonly lastErrorAt: string | null;
    readonly lastDeliveredAt: string | null;
  };
  /** Every channel (SLACK_WEBHOOK_URL and NOTIFY_URLS), named by its redacted URL. */
  readonly channels?: ReadonlyArray<ChannelStats & { readonly channel: string }>;
  /** Every DIAGNOSIS_BACKENDS entry. */
  readonly backends?: readonly BackendStats[];
}
