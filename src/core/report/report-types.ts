/**
 * What `doctor report` and the /ui report page show: plain data built from the audit log and the
 * stories by `buildReport`, rendered by the CLI (text, markdown) and printed as is with `--json`.
 * docs/report.md documents this shape as the JSON schema (`schema: 1`).
 */
import type { Action, Guardrail } from '../types.js';

/** Who brought a container back after a death. */
export type Recoverer = 'doctor' | 'docker' | 'person' | 'itself';

/** One restart the doctor made, and whether it held. */
export interface RestartReview {
  readonly container: string;
  readonly incidentId: string;
  readonly at: string;
  /**
   * `held`: running after the settle check and still running 10 minutes later; `relapsed`: it
   * died or failed the same way within those 10 minutes; `failed`: not running after the settle
   * check; `watching`: fewer than 10 minutes have passed (or the story does not reach that far);
   * `taken-over`: a person stopped, paused or restarted it during the settle check.
   */
  readonly verdict: 'held' | 'relapsed' | 'failed' | 'watching' | 'taken-over';
  readonly detail: string;
}

/** A death and how it ended. */
export interface RecoveryReview {
  readonly container: string;
  readonly incidentId: string;
  readonly diedAt: string;
  /** null while it is still down. */
  readonly recoveredAt: string | null;
  readonly by: Recoverer | null;
  /** Down for this long (to the report's end when still down). */
  readonly downMs: number;
}

export interface DurationStats {
  readonly count: number;
  readonly medianMs: number | null;
  readonly worstMs: number | null;
}

/** The figures for one container, or for all of them. */
export interface ReportFigures {
  readonly incidents: number;
  /** Times an open incident was seen again, beyond its records (the sum of the repeat lines' `covered`). */
  readonly repeats: number;
  /** Incident records by failure class (the rules' class; `unknown` when none). */
  readonly byClass: Readonly<Record<string, number>>;
  readonly decisions: Readonly<Record<Action, number>>;
  readonly restarts: { readonly made: number; readonly held: number; readonly relapsed: number; readonly failed: number; readonly watching: number; readonly takenOver: number };
  /** Escalations by guardrail (or `rule:<id>` when none applied). */
  readonly escalations: Readonly<Record<string, number>>;
  /** Time down: each incident's death to running again (or to the window's end), summed within the window. */
  readonly downMs: number;
  /** Death to running again, over every recovery, and by who brought it back. */
  readonly timeToRecovery: DurationStats & { readonly by: Readonly<Record<Recoverer, DurationStats>> };
  /** Incidents still down at the report's end. */
  readonly stillDown: number;
}

export interface SignatureRepeat {
  readonly container: string;
  readonly signature: string;
  readonly rule: string | null;
  /** Times seen in the window: its records plus the repeats the repeat lines stand for. */
  readonly count: number;
  /** The times on record, oldest first (a repeat line for many repeats gives their first and last). */
  readonly times: readonly string[];
  /** `daily around 02:00 UTC` when every time falls within an hour of the same time of day on different days. */
  readonly pattern: string | null;
}

export interface EscalationResolved {
  readonly container: string;
  readonly incidentId: string;
  readonly at: string;
  readonly guardrail: Guardrail | null;
  /** When a person restarted (or started) it, and it then kept running. */
  readonly resolvedAt: string;
}

/** One AUTO_FIX=false incident: what the doctor would have done, and what happened without it. */
export interface ObserveReview {
  readonly container: string;
  readonly incidentId: string;
  readonly at: string;
  readonly wouldHave: string;
  readonly then: 'recovered-by-itself' | 'docker-restarted' | 'person-restarted' | 'still-down' | 'unknown';
  readonly downMs: number | null;
}

export interface BackendCost {
  readonly backend: string;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** USD at list price; null when any call's price was unknown and nothing was priced. */
  readonly estimatedCostUsd: number | null;
}

export interface ContainerReport {
  readonly name: string;
  readonly figures: ReportFigures;
}

export interface Report {
  readonly schema: 1;
  readonly from: string;
  readonly to: string;
  readonly container: string | null;
  readonly total: ReportFigures;
  readonly containers: readonly ContainerReport[];
  readonly restarts: readonly RestartReview[];
  readonly recoveries: readonly RecoveryReview[];
  readonly didItHelp: {
    readonly restartsNotHelped: readonly RestartReview[];
    readonly escalationsResolvedByPerson: readonly EscalationResolved[];
    readonly repeatedSignatures: readonly SignatureRepeat[];
  };
  readonly observeOnly: { readonly incidents: number; readonly wouldRestart: number; readonly reviews: readonly ObserveReview[] };
  readonly diagnosis: {
    readonly calls: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly estimatedCostUsd: number | null;
    readonly byBackend: readonly BackendCost[];
    /** Incidents where the AI's caution changed the decision (rules would restart; the AI said not safe). */
    readonly aiChangedDecision: number;
    /** Incidents the rules alone decided. */
    readonly rulesOnly: number;
  };
  /** Audit lines that could not be read. */
  readonly skippedLines: number;
}
