/**
 * Who diagnosed an incident: the rules catalog or an AI backend. One place for the question, so
 * renderers and the judge agree, and v0.1 records (`source: 'claude'`) read like new ones.
 */
import type { Diagnosis } from './types.js';

/** True when an AI backend answered (not the rules, and not the rules standing in for a failed call). */
export function isAiDiagnosis(d: Pick<Diagnosis, 'source'>): boolean {
  return d.source === 'ai' || d.source === 'claude';
}

/** The backend that answered, or undefined for the rules. */
export function diagnosisBackend(d: Pick<Diagnosis, 'source' | 'backend'>): string | undefined {
  if (!isAiDiagnosis(d)) return undefined;
  return d.backend ?? 'claude';
}

const BACKEND_LABEL: Readonly<Record<string, string>> = { claude: 'Claude', ollama: 'Ollama', openai: 'OpenAI-compatible' };

/**
 * `Claude (claude-haiku-4-5)`, `Ollama (qwen2.5:7b)`, or `rules (oom-kill)`; `id` formats the
 * model or rule id (Slack wraps it in backticks).
 */
export function describeDiagnosisSource(d: Pick<Diagnosis, 'source' | 'backend' | 'model' | 'rule'>, id: (s: string) => string = (s) => s): string {
  const backend = diagnosisBackend(d);
  if (backend === undefined) return `rules (${id(d.rule ?? 'catalog')})`;
  return `${BACKEND_LABEL[backend] ?? backend} (${id(d.model ?? 'unknown model')})`;
}

/** The model as renderers show it: `claude-sonnet-4-6` for Claude (as in v0.1), `ollama/qwen2.5:7b` for others. */
export function diagnosisModelLabel(d: Pick<Diagnosis, 'source' | 'backend' | 'model'>): string {
  const backend = diagnosisBackend(d);
  const model = d.model ?? (backend === 'claude' ? 'Claude' : 'unknown model');
  return backend === undefined || backend === 'claude' ? model : `${backend}/${model}`;
}
