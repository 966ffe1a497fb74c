/**
 * The vocabulary of the pipeline: observe -> detect -> diagnose -> decide -> act -> record -> notify.
 * Everything here is plain data, so every stage can be a pure function tested with a table.
 */

/** Which engine and which container. `host` names the engine (the DOCKER_HOST entry). */
export interface ContainerRef {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly host: string;
}

/** Docker's `State.Status` values (Engine API, ContainerState). */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** `HostConfig.RestartPolicy.Name`; Docker reports `''` for containers created without one. */
export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

/** What one `docker inspect` says about a container, normalised by the Docker adapter. */
export interface ContainerFacts {
  readonly ref: ContainerRef;
  readonly status: ContainerStatus;
  readonly running: boolean;
  /** `State.ExitCode`; null while the container has never exited. */
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  /** `State.Error`: set by the engine when it failed to start the process (e.g. exec format error). */
  readonly stateError: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Docker's own count (top level `RestartCount`): it resets on `docker restart` and misses API restarts. */
  readonly restartCount: number;
  readonly restartPolicy: { readonly name: RestartPolicyName; readonly maximumRetryCount: number };
  readonly health: {
    readonly status: HealthStatus;
    readonly failingStreak: number;
    /** Output of the most recent probe, if any. */
    readonly lastOutput: string | null;
    /** The probes Docker still keeps (its last 5), oldest first: when each ran and how it ended. */
    readonly probes: readonly HealthProbe[];
    /** Failures in a row that make it unhealthy (its health check's Retries); Docker's 3 when absent. */
    readonly retries?: number;
  };
  readonly labels: Readonly<Record<string, string>>;
  readonly tty: boolean;
  /** `Config.Env` as `NAME=value`; used only to redact the container's own secrets. */
  readonly env: readonly string[];
  /** `HostConfig.Memory` in bytes; 0 when unlimited. */
  readonly memoryLimit: number;
  /** `HostConfig.AutoRemove` (`docker run --rm`): the engine removes it when it exits. */
  readonly autoRemove: boolean;
  /**
   * `HostConfig.NetworkMode`: `bridge`, `host`, `none`, a network name, or `container:<id>` when
   * it shares another container's namespace (compose `network_mode: service:x` is written that way).
   */
  readonly networkMode: string;
  /** `Config.StopSignal`, upper case with the `SIG` prefix (`SIGTERM` when unset). */
  readonly stopSignal: string;
  /**
   * `Config.OpenStdin` (`docker run -i`); with `tty` it marks an interactive session. Optional
   * while every source of facts learns it; absent reads as false.
   */
  readonly openStdin?: boolean;
  /** `Config.StopTimeout` in seconds (compose `stop_grace_period`); null when the engine default (10 s) applies. */
  readonly stopTimeoutSeconds: number | null;
  /**
   * `NetworkSettings.Networks`: the networks it is attached to, with its IP and the names other
   * containers reach it by there. Optional while every source of facts learns it; absent reads as none.
   */
  readonly networks?: readonly NetworkAttachment[];
}

/** One network a container is attached to (`NetworkSettings.Networks[name]`). */
export interface NetworkAttachment {
  readonly name: string;
  /** `IPAddress`; '' while the container is not running. */
  readonly ip: string;
  /** `Aliases` and `DNSNames` (Engine 25+): the names Docker's embedded DNS answers for it on this network. */
  readonly aliases: readonly string[];
}

/** One health probe run (`State.Health.Log` entry). Exit code -1: the probe could not run (timeout, paused container). */
export interface HealthProbe {
  readonly start: string;
  readonly end: string;
  readonly exitCode: number;
}

export type LogStream = 'stdout' | 'stderr';

/** One line of container output. `text` is already decoded and cut to a bounded length. */
export interface LogLine {
  readonly stream: LogStream;
  readonly text: string;
  /** RFC 3339 time Docker stamped on the line, when timestamps were requested. */
  readonly ts?: string;
}

/** A log line the detector judged to be an error, and why. */
export interface Finding {
  readonly line: string;
  readonly stream: LogStream;
  /** The vocabulary entry that matched (e.g. `out of memory`), or `level:<value>` for JSON logs. */
  readonly pattern: string;
  /** The line's Docker timestamp, when the logs were read with timestamps. */
  readonly ts?: string;
  /** A later line of the same batch reported recovery (`reconnected`, `succeeded`): likely transient. */
  readonly recovered?: boolean;
}

/** What woke the doctor up. */
export type TriggerKind =
  | 'die' // events stream: the container exited
  | 'oom' // events stream: the kernel OOM-killed a process in it
  | 'unhealthy' // events stream or inspect: health check failing
  | 'restarting' // inspect: Docker is restarting it in a loop
  | 'log-pattern' // a running container wrote error lines
  | 'exited' // reconcile: found exited without having seen the event
  | 'manual' // `doctor diagnose`
  | 'neighbour' // a container it depends on (network namespace, compose depends_on) restarted
  | 'storm'; // many containers on the engine failed within STORM_WINDOW

export interface Trigger {
  readonly kind: TriggerKind;
  /** ISO time the trigger was observed. */
  readonly at: string;
  /** The raw event action (`die`, `health_status: unhealthy`, ...), when it came from the stream. */
  readonly event?: string;
  /** The `die` event's exit code: inspect no longer shows it once Docker has restarted the container. */
  readonly exitCode?: number;
  /** An `oom` event came just before this `die` (State.OOMKilled resets when the container starts again). */
  readonly oom?: boolean;
}

/** The facts an incident is judged on: a snapshot, so the audit record stands on its own. */
export interface Evidence {
  readonly status: ContainerStatus;
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  readonly health: HealthStatus;
  readonly healthOutput: string | null;
  readonly restartCount: number;
  readonly restartPolicy: RestartPolicyName;
  /** A person (or another tool) stopped it: `kill`/`stop` events preceded the `die`. */
  readonly stoppedByUser: boolean;
  /** The error lines the detector found, newest last, bounded. */
  readonly matchedLines: readonly string[];
  /** Distinct patterns that matched. */
  readonly patterns: readonly string[];
  /** The last lines of output for context (not only errors), newest last, bounded. */
  readonly logTail: readonly string[];
  readonly stateError: string;
  readonly finishedAt: string | null;
}

export type Severity = 'low' | 'medium' | 'high';

/** The diagnosis fields of the original Container Doctor, plus where the opinion came from. */
export interface Diagnosis {
  readonly root_cause: string;
  readonly severity: Severity;
  readonly suggested_fix: string;
  readonly auto_restart_safe: boolean;
  readonly config_suggestions: readonly string[];
  readonly likely_recurring: boolean;
  readonly estimated_impact: string;
  /**
   * `rules`: the catalog. `ai`: a diagnosis backend answered (`backend` says which). `claude` is
   * how v0.1 wrote Claude's answers; audit logs still hold it, read it as `ai` with backend `claude`.
   */
  readonly source: 'rules' | 'ai' | 'claude';
  /** Catalog entry id for rules (`oom-kill`, `disk-full`, ...). */
  readonly rule?: string;
  /** Rules only: where the cause lives (see FailureClass). */
  readonly failureClass?: FailureClass;
  /** Rules only: false when a generic fallback decided, so records show how often the rules did not recognise a failure. */
  readonly recognised?: boolean;
  /** The backend that answered (`claude`, `ollama`, `openai`), for `ai`. */
  readonly backend?: string;
  /** Model id the backend reported. */
  readonly model?: string;
}

/**
 * Where the cause of a failure lives, which decides whether a restart can help
 * (docs/decision-rules.md, "Failure classes"):
 * - `environment`: how the container was made (settings, credentials, command line, mounts); fixed
 *   when it is created, so a restart repeats it;
 * - `host`: the machine (CPU architecture, kernel settings, a port held outside the container);
 * - `data`: the state the service keeps (schema, data-directory version, corruption, a lock);
 * - `filesystem`: the volume (full, read-only, wrong owner);
 * - `dependency`: another service (down, unreachable, unresolvable): may come back;
 * - `code`: the image's code (does not load, crashes the same way at init);
 * - `resource`: memory, connections, limits the process runs into;
 * - `person`: someone did it on purpose (a stop, Ctrl-C in an interactive session);
 * - `transient`: a hiccup the service recovered from by itself;
 * - `unknown`: the rules did not recognise it; `none`: nothing failed.
 */
export type FailureClass =
  | 'environment'
  | 'host'
  | 'data'
  | 'filesystem'
  | 'dependency'
  | 'code'
  | 'resource'
  | 'person'
  | 'transient'
  | 'unknown'
  | 'none';

/**
 * What the rules catalog concluded, with what the decision needs beyond the diagnosis fields:
 * whether the failure class is one a restart cannot fix, and whether the rules are sure enough
 * that asking Claude adds nothing.
 */
export interface RulesVerdict {
  readonly diagnosis: Diagnosis;
  /** Catalog id; same as `diagnosis.rule`. */
  readonly rule: string;
  /** The failure class cannot be fixed by a restart (disk full, permissions, missing command/config). */
  readonly restartCannotFix: boolean;
  /** The catalog recognised this failure specifically; false for the generic fallbacks. */
  readonly settled: boolean;
  /** Where the cause lives. */
  readonly failureClass: FailureClass;
  /**
   * False when only a generic fallback matched (exit-error, errors-logged, restart-loop): the
   * record says the rules did not recognise the failure, so reports can count how often.
   */
  readonly recognised: boolean;
}

export type Action = 'restart' | 'escalate' | 'none';

/** Names of the guardrails, as recorded in the audit log and shown to people. */
export type Guardrail =
  | 'observe-only' // AUTO_FIX=false
  | 'crash-loop'
  | 'restart-throttle' // more than MAX_RESTARTS_PER_HOUR
  | 'manual-stop'
  | 'completed' // exit 0
  | 'restart-policy-pending' // Docker's own policy may bring it back: wait MIN_DEAD_TIME
  | 'restart-cannot-fix'
  | 'label-never' // doctor.restart=never
  | 'stateful-image'
  | 'oom-recurring'
  | 'self' // the doctor's own container
  | 'not-safe' // diagnosis: not high severity or not auto_restart_safe
  | 'stale-exit' // found exited at start-up, long before the doctor watched
  | 'still-running' // errors in a running, healthy container: report, do not restart
  | 'removed' // auto-removed (--rm): nothing left to restart, never restarted
  | 'job' // a job or one-off container: re-running it repeats its side effects
  | 'unknown-stop' // found exited, and the engine no longer tells whether a person stopped it
  | 'stop-ignored' // a person's terminating signal that the process ignored: it ran on, then failed
  | 'restart-did-not-help' // an earlier restart did not hold: no more attempts until a person acts
  | 'awaiting-approval' // AUTO_FIX=ask: the restart is proposed and waits for a person
  | 'not-approved' // AUTO_FIX=ask: nobody approved the proposed restart within APPROVAL_TIMEOUT
  | 'override-never' // a person set "never auto-restart" for this container (revocable)
  | 'snoozed' // a person snoozed this container: no action, no alert, until the snooze ends
  | 'maintenance' // a doctor.maintenance label or MAINTENANCE_WINDOWS: no action, no alert
  | 'dependency-down' // the service it fails to reach is another watched container, itself down: wait for it
  | 'namespace-gone' // it shares the network namespace of a container that was recreated: only recreating it helps
  | 'storm'; // many containers on the engine failed at once: a host problem, no restarts while it lasts

export interface Decision {
  readonly action: Action;
  readonly reason: string;
  readonly guardrail: Guardrail | null;
  /** Set by the act stage: the restart was really issued. */
  readonly executed: boolean;
  /** Which diagnosis the decision followed. */
  readonly decidedBy: 'rules' | 'claude';
  /** When set, the decision is not final: look again at this ISO time (MIN_DEAD_TIME). */
  readonly deferUntil?: string;
  /** A person approved this restart (Slack button, `doctor approve`, the control endpoint). */
  readonly approvedBy?: ApprovalMark;
}

/** Who did something by hand, as far as the doctor can tell. */
export interface Person {
  /** Slack user id (`U0123ABC`), or who the terminal or endpoint said it was. */
  readonly id: string;
  readonly name?: string;
  readonly via: 'slack' | 'http';
}

/** An approval on record: who, and when (ISO). */
export interface ApprovalMark {
  readonly by: Person;
  readonly at: string;
}

/** Result of acting, recorded beside the decision. */
export interface Outcome {
  /**
   * `pending`: written ahead of a restart; the outcome line that follows replaces it (a record
   * left pending means the doctor stopped before it could verify). `stopped-by-person`,
   * `paused-by-person`, `restarted-by-person`, `removed-by-person`: a person stopped, paused, restarted or removed it during the
   * doctor's restart or settle check, which wins over the doctor: a person took over.
   */
  readonly status: 'pending' | 'restarted' | 'restart-failed' | 'not-running-after-restart' | 'stopped-by-person' | 'paused-by-person' | 'restarted-by-person' | 'removed-by-person' | 'not-acted' | 'recovered-by-docker';
  readonly detail: string;
  /** ISO time the outcome was verified. */
  readonly at: string;
}

/** Everything the doctor remembers about one container across restarts of the doctor. */
export interface ContainerHistory {
  /** ISO times the container died (non-zero or zero exits observed), newest last, bounded to 24 h. */
  readonly deaths: readonly string[];
  /** ISO times the container was OOM-killed, newest last, bounded to 24 h. */
  readonly ooms: readonly string[];
  /** ISO times the doctor restarted it, newest last, bounded to 24 h. */
  readonly restarts: readonly string[];
  /** Signatures seen, for dedupe and for "this happened before" context. */
  readonly incidents: readonly IncidentMemory[];
  /** `FinishedAt` of the last exit the doctor judged, so the event and the next reconcile never judge one exit twice. */
  readonly lastHandledExit?: string;
  /** A restart of the doctor's did not hold at this time: it stops trying until a person acts or the container runs well. */
  readonly attemptsEnded?: { readonly at: string; readonly incidentId: string };
  /** The container (id) these counts belong to: another id under the name is a recreate. */
  readonly containerId?: string;
}

export interface IncidentMemory {
  readonly signature: string;
  readonly incidentId: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
  readonly lastAction: Action;
  /** The guardrail of the last decision; absent in state written before it was kept. */
  readonly lastGuardrail?: Guardrail | null;
  /** Catalog rule that diagnosed it, so a later diagnosis can say the same class happened before. */
  readonly rule?: string;
  /** The latest times it was seen (newest last, bounded): shows patterns such as "every night at 02:00". */
  readonly recent?: readonly string[];
}

/** Decision policy: configuration plus per-container labels, resolved before deciding. */
export interface Policy {
  readonly autoFix: boolean;
  readonly maxRestartsPerHour: number;
  readonly minDeadTimeMs: number;
  /** An exit found by reconcile is acted on only when the story shows a crash this recent (FRESH_EXIT_WINDOW). */
  readonly freshExitMs: number;
  readonly crashLoop: { readonly deaths: number; readonly windowMs: number };
  readonly oomLeak: { readonly ooms: number; readonly windowMs: number };
  /** doctor.restart=never */
  readonly restartNever: boolean;
  /** Image is (or is labelled as) a stateful service. */
  readonly stateful: boolean;
  /** This container is the doctor itself. */
  readonly isSelf: boolean;
}

/** One diagnosis call's tokens (the backend's `usage` field), latency and estimated cost. */
export interface AiUsage {
  readonly model: string;
  /** The backend that answered (or, when every backend failed, the last one asked). */
  readonly backend?: string;
  /** Wall time of the backend calls made for this record, in ms. */
  readonly latencyMs?: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** USD at list price; null when the model's price is unknown. */
  readonly estimatedCostUsd: number | null;
}

/** One line of the audit log: an incident, its evidence, the diagnoses, the decision, the outcome. */
export interface AuditRecord {
  readonly v: 1;
  readonly incidentId: string;
  /** 1 for the first time this signature was seen on this container, then 2, 3, ... */
  readonly occurrence: number;
  readonly time: string;
  readonly container: ContainerRef;
  readonly trigger: Trigger;
  readonly evidence: Evidence;
  readonly signature: string;
  readonly diagnosis: Diagnosis;
  /** The rules diagnosis when Claude decided, kept so both opinions are on record. */
  readonly rulesDiagnosis?: Diagnosis;
  /** Why Claude was not asked or failed, when it applies. */
  readonly aiNote?: string;
  /** Tokens and estimated cost of the Claude call made for this record, when one was made. */
  readonly aiUsage?: AiUsage;
  readonly decision: Decision;
  readonly outcome: Outcome;
  /** The incident covers several containers (dependents restarted together, a storm): what this record is in it. */
  readonly group?: IncidentGroup;
  /** The failure is another watched container's: the service it names is down (issue 12). */
  readonly rootCause?: RootCause;
}

/**
 * One incident over several containers. Every container's part is a `member` record (recorded,
 * not announced); the one `summary` record is what people are told, with every member listed.
 */
export interface IncidentGroup {
  readonly kind: 'dependents' | 'storm';
  readonly role: 'summary' | 'member';
  /** dependents: the container whose restart they follow. */
  readonly parent?: ContainerRef;
  /** summary: each container's part, in the order acted on. */
  readonly members?: readonly GroupMember[];
  /** storm: the likely host cause, as a phrase. */
  readonly cause?: string;
}

export interface GroupMember {
  readonly container: ContainerRef;
  /** How it belongs: `network mode container:vpn`, `depends_on db (restart: true)`, `died`. */
  readonly via: string;
  readonly action: Action;
  readonly guardrail: Guardrail | null;
  readonly outcome: Outcome['status'];
  readonly detail: string;
}

/** The watched container an incident is attributed to, and how the failing one reaches it. */
export interface RootCause {
  readonly root: ContainerRef;
  /** What is wrong with it. */
  readonly state: 'down' | 'restarting' | 'unhealthy' | 'paused';
  /** The address the error named (`db:5432`, `db`, `172.18.0.2:5432`). */
  readonly address: string;
  /** How the address resolves to it. */
  readonly via: 'container name' | 'compose service' | 'network alias' | 'IP address';
  /** The shared network, when the match went through one. */
  readonly network?: string;
}

/**
 * The audit log's second kind of line: a message the doctor gave up on (or dropped), so the log
 * shows that people were not told. Incident lines (`AuditRecord`) carry no `kind`.
 */
export interface DeliveryFailureEvent {
  readonly v: 1;
  readonly kind: 'delivery';
  readonly time: string;
  /** The channel, as its redacted URL (`discord://discord.com/…`); absent on v0.1 lines (Slack). */
  readonly channel?: string;
  /** What the message was: one incident, a recovery follow-up, or a storm digest. */
  readonly message: 'incident' | 'recovery' | 'digest' | 'test' | 'notice';
  /** Every incident the message covered. */
  readonly incidentIds: readonly string[];
  readonly ok: false;
  /** Why it was not delivered; never contains the webhook URL. */
  readonly error: string;
  /** HTTP requests made; 0 when the message was dropped before sending. */
  readonly attempts: number;
  /** Last HTTP status, when a response arrived. */
  readonly status?: number;
}

/**
 * The outcome of an action written ahead (write-ahead audit): appended after the restart was
 * verified, joined to its record by incident id and occurrence by every reader.
 */
export interface OutcomeEvent {
  readonly v: 1;
  readonly kind: 'outcome';
  readonly time: string;
  readonly incidentId: string;
  readonly occurrence: number;
  /** The restart was really issued. */
  readonly executed: boolean;
  readonly outcome: Outcome;
}

/** What the doctor did that is not a new incident: counted a repeat, deferred a decision, saw a recovery. */
export interface IncidentNoteEvent {
  readonly v: 1;
  readonly kind: 'repeat' | 'deferred' | 'recovery';
  readonly time: string;
  readonly container: ContainerRef;
  readonly incidentId?: string;
  readonly detail: string;
  /** repeat: how many times it has been seen. */
  readonly count?: number;
  /** repeat: how many repeats this line stands for (absent: one); not every repeat gets a line (core/repeat-lines.ts). */
  readonly covered?: number;
  /** repeat: the first of the repeats it stands for, when more than one. */
  readonly since?: string;
  /** deferred: when it is looked at again. */
  readonly until?: string;
  /** recovery: ms from the incident to well again. */
  readonly afterMs?: number;
}

/**
 * What a person did through the doctor (approve, snooze, override) and what came of it: on record
 * with who and when, beside the incident it concerns.
 */
export interface PersonActionEvent {
  readonly v: 1;
  readonly kind: 'person';
  readonly time: string;
  /** `refused`: an approval the doctor did not carry out (the container is gone, running again, ...); `expired`: nobody answered in time. */
  readonly action: 'approved' | 'refused' | 'expired' | 'snooze' | 'unsnooze' | 'never' | 'allow';
  readonly container: { readonly host: string; readonly name: string; readonly id?: string };
  readonly incidentId?: string;
  /** Absent for `expired` (nobody). */
  readonly by?: Person;
  readonly detail: string;
  /** snooze: until when (ISO). */
  readonly until?: string;
}

/** Audit lines other than incident records. */
export type AuditEvent = DeliveryFailureEvent | OutcomeEvent | IncidentNoteEvent | PersonActionEvent;

/** What a diagnosis backend is asked about one incident (the prompt builder's input). */
export interface DiagnosisRequest {
  readonly facts: ContainerFacts;
  readonly evidence: Evidence;
  readonly rules: RulesVerdict;
  readonly history: ContainerHistory;
  readonly signature: string;
  /**
   * The last LOG_LINES lines of output, already redacted, oldest first; the prompt keeps the
   * newest that fit its byte budget. Without it, `evidence.logTail` (bounded for the audit record).
   */
  readonly logTail?: readonly string[];
}
