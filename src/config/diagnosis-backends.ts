/**
 * DIAGNOSIS_BACKENDS and each backend's settings, resolved into one ordered list. Empty means
 * v0.1's behaviour: Claude when ANTHROPIC_API_KEY (or, for a local Anthropic-compatible server,
 * ANTHROPIC_BASE_URL) is set, otherwise rules only.
 */
import type * as z from 'zod/mini';
import { ConfigError } from '../core/errors.js';
import type { settingsSchema } from './config-schema.js';

export const BACKEND_NAMES = ['claude', 'ollama', 'openai'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

interface BackendCommon {
  readonly model: string;
  readonly timeoutMs: number;
  /** This backend's calls per sliding hour (beside MAX_DIAGNOSES_PER_HOUR for all of them). */
  readonly maxPerHour: number;
}

export type BackendConfig =
  | (BackendCommon & { readonly name: 'claude'; readonly apiKey: string | undefined; readonly baseURL: string | undefined })
  | (BackendCommon & { readonly name: 'ollama'; readonly baseURL: string })
  | (BackendCommon & { readonly name: 'openai'; readonly baseURL: string; readonly apiKey: string | undefined; readonly structured: 'json_schema' | 'tools' });

type Settings = z.output<typeof settingsSchema>;

export function resolveBackends(s: Settings): readonly BackendConfig[] {
  const names = s.DIAGNOSIS_BACKENDS.map((n) => n.toLowerCase());
  if (names.length === 0) return s.ANTHROPIC_API_KEY || s.ANTHROPIC_BASE_URL ? Object.freeze([claude(s)]) : Object.freeze([]);
  const seen = new Set<string>();
  const out: BackendConfig[] = [];
  for (const name of names) {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError(`DIAGNOSIS_BACKENDS: unknown backend ${JSON.stringify(name.slice(0, 40))} (known: ${BACKEND_NAMES.join(', ')})`);
    }
    if (seen.has(name)) throw new ConfigError(`DIAGNOSIS_BACKENDS lists ${name} twice`);
    seen.add(name);
    if (name === 'claude') {
      if (!s.ANTHROPIC_API_KEY && !s.ANTHROPIC_BASE_URL) {
        throw new ConfigError('DIAGNOSIS_BACKENDS lists claude but neither ANTHROPIC_API_KEY nor ANTHROPIC_BASE_URL is set');
      }
      out.push(claude(s));
    } else if (name === 'ollama') {
      if (!s.OLLAMA_MODEL) throw new ConfigError('DIAGNOSIS_BACKENDS lists ollama but OLLAMA_MODEL is not set (for example qwen2.5:7b)');
      out.push(Object.freeze({ name: 'ollama', baseURL: s.OLLAMA_BASE_URL, model: s.OLLAMA_MODEL, timeoutMs: ms(s.OLLAMA_TIMEOUT), maxPerHour: s.OLLAMA_MAX_PER_HOUR }));
    } else {
      if (!s.OPENAI_BASE_URL) throw new ConfigError('DIAGNOSIS_BACKENDS lists openai but OPENAI_BASE_URL is not set (for example http://127.0.0.1:8000/v1)');
      if (!s.OPENAI_MODEL) throw new ConfigError('DIAGNOSIS_BACKENDS lists openai but OPENAI_MODEL is not set');
      out.push(
        Object.freeze({
          name: 'openai',
          baseURL: s.OPENAI_BASE_URL,
          apiKey: s.OPENAI_API_KEY,
          model: s.OPENAI_MODEL,
          timeoutMs: ms(s.OPENAI_TIMEOUT),
          maxPerHour: s.OPENAI_MAX_PER_HOUR,
          structured: s.OPENAI_STRUCTURED_OUTPUT,
        }),
      );
    }
  }
  return Object.freeze(out);
}

function claude(s: Settings): BackendConfig {
  return Object.freeze({
    name: 'claude',
    apiKey: s.ANTHROPIC_API_KEY,
    baseURL: s.ANTHROPIC_BASE_URL,
    model: s.ANTHROPIC_MODEL,
    timeoutMs: ms(s.DIAGNOSIS_TIMEOUT),
    maxPerHour: s.ANTHROPIC_MAX_PER_HOUR ?? s.MAX_DIAGNOSES_PER_HOUR,
  });
}

function ms(seconds: number): number {
  return Math.round(seconds * 1000);
}
