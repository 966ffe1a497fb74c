/**
 * The shape of Claude's answer: the input of the forced `record_diagnosis` tool call.
 *
 * The model's output is untrusted like the logs it read, so it is validated strictly: wrong types,
 * unknown severities ("critical") and missing fields are errors; unknown extra fields are dropped;
 * overlong strings and lists are cut, so a 10 MB answer never reaches a record whole.
 */
import * as z from 'zod/mini';
import './zod-english.js';
import type { Diagnosis } from './types.js';

export const DIAGNOSIS_TOOL_NAME = 'record_diagnosis';

/** Length caps (characters / items). Generous for a useful answer, tiny next to an abusive one. */
export const DIAGNOSIS_LIMITS = {
  rootCause: 1_000,
  suggestedFix: 1_500,
  estimatedImpact: 500,
  configSuggestion: 300,
  configSuggestions: 8,
} as const;

/** Cuts a string to `max` characters, marking the cut. */
function cut(max: number) {
  return (s: string): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
}

function text(max: number) {
  return z.pipe(z.string().check(z.trim(), z.minLength(1, 'must not be empty')), z.transform(cut(max)));
}

/** Validates the tool input. Parsing yields the diagnosis fields without `source`/`model`. */
export const DiagnosisInputSchema = z.object({
  root_cause: text(DIAGNOSIS_LIMITS.rootCause),
  severity: z.enum(['low', 'medium', 'high']),
  suggested_fix: text(DIAGNOSIS_LIMITS.suggestedFix),
  auto_restart_safe: z.boolean(),
  config_suggestions: z.pipe(
    z.array(z.string()),
    z.transform((items) =>
      items
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .slice(0, DIAGNOSIS_LIMITS.configSuggestions)
        .map(cut(DIAGNOSIS_LIMITS.configSuggestion)),
    ),
  ),
  likely_recurring: z.boolean(),
  estimated_impact: text(DIAGNOSIS_LIMITS.estimatedImpact),
});

export type DiagnosisFields = Omit<Diagnosis, 'source' | 'rule' | 'model'>;

export type DiagnosisInputResult = { readonly ok: true; readonly value: DiagnosisFields } | { readonly ok: false; readonly error: string };

/** Validates a tool input. The error is one line naming the offending fields. */
export function parseDiagnosisInput(input: unknown): DiagnosisInputResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: `invalid diagnosis: expected an object, got ${Array.isArray(input) ? 'an array' : input === null ? 'null' : typeof input}` };
  }
  const parsed = z.safeParse(DiagnosisInputSchema, input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
  const more = parsed.error.issues.length > 5 ? `; +${parsed.error.issues.length - 5} more` : '';
  return { ok: false, error: cut(300)(`invalid diagnosis: ${issues.join('; ')}${more}`.replace(/\s+/g, ' ')) };
}

/**
 * JSON Schema of the tool input (Messages API `tools[].input_schema`). Kept by hand next to the zod
 * schema: the zod side cuts long strings with a transform, which JSON Schema cannot express.
 */
export const DIAGNOSIS_INPUT_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['root_cause', 'severity', 'suggested_fix', 'auto_restart_safe', 'config_suggestions', 'likely_recurring', 'estimated_impact'],
  properties: {
    root_cause: {
      type: 'string',
      maxLength: DIAGNOSIS_LIMITS.rootCause,
      description: 'The most likely cause of the failure, in one to three sentences, citing the evidence (exit code, OOM, log line).',
    },
    severity: {
      type: 'string',
      enum: ['low', 'medium', 'high'],
      description: 'high: the service is down or losing data; medium: degraded or will fail again soon; low: cosmetic or self-healing.',
    },
    suggested_fix: {
      type: 'string',
      maxLength: DIAGNOSIS_LIMITS.suggestedFix,
      description: 'What a person should do, concretely (command, setting, code area). Not what the doctor should do.',
    },
    auto_restart_safe: {
      type: 'boolean',
      description:
        'True only if a plain restart is likely to restore service without harm (transient failure, no data at risk, not a crash loop, not a configuration or code error). When unsure, false.',
    },
    config_suggestions: {
      type: 'array',
      maxItems: DIAGNOSIS_LIMITS.configSuggestions,
      items: { type: 'string', maxLength: DIAGNOSIS_LIMITS.configSuggestion },
      description: 'Container or compose settings worth changing (memory limit, healthcheck, restart policy, ...). May be empty.',
    },
    likely_recurring: {
      type: 'boolean',
      description: 'True if this failure will probably happen again without a change (leak, schedule, config, dependency).',
    },
    estimated_impact: {
      type: 'string',
      maxLength: DIAGNOSIS_LIMITS.estimatedImpact,
      description: 'Who or what is affected while the container is down, in one sentence.',
    },
  },
} as const;
