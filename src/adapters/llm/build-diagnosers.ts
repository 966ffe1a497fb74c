/**
 * DIAGNOSIS_BACKENDS, built: one Diagnoser per backend in order, and the chain that asks them.
 * The Anthropic SDK is loaded only when Claude is in the list (about 20 MB resident).
 */
import type { BackendConfig } from '../../config/diagnosis-backends.js';
import { estimateCostUsd } from '../claude/diagnosis-budget.js';
import { DiagnoserChain, type ChainLink } from './diagnoser-chain.js';
import { OllamaDiagnoser } from './ollama-diagnoser.js';
import { OpenAiDiagnoser } from './openai-diagnoser.js';

export interface DiagnoserDeps {
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export async function buildDiagnosers(config: { readonly diagnosis: { readonly backends: readonly BackendConfig[] } }, deps: DiagnoserDeps = {}): Promise<ChainLink[]> {
  const links: ChainLink[] = [];
  for (const b of config.diagnosis.backends) {
    const common = { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.now ? { now: deps.now } : {}) };
    if (b.name === 'claude') {
      const { ClaudeDiagnoser } = await import('../claude/claude-diagnoser.js');
      links.push({
        name: 'claude',
        model: b.model,
        maxPerHour: b.maxPerHour,
        price: estimateCostUsd,
        diagnoser: new ClaudeDiagnoser({ ...(b.apiKey ? { apiKey: b.apiKey } : {}), ...(b.baseURL ? { baseURL: b.baseURL } : {}), model: b.model, timeoutMs: b.timeoutMs, ...common }),
      });
    } else if (b.name === 'ollama') {
      // A local model costs nothing per call.
      links.push({ name: 'ollama', model: b.model, maxPerHour: b.maxPerHour, price: () => 0, diagnoser: new OllamaDiagnoser({ baseURL: b.baseURL, model: b.model, timeoutMs: b.timeoutMs, ...common }) });
    } else {
      links.push({
        name: 'openai',
        model: b.model,
        maxPerHour: b.maxPerHour,
        // Claude's price table knows no OpenAI-compatible model: the cost stays unknown rather than guessed.
        price: () => null,
        diagnoser: new OpenAiDiagnoser({ baseURL: b.baseURL, ...(b.apiKey ? { apiKey: b.apiKey } : {}), model: b.model, timeoutMs: b.timeoutMs, structured: b.structured, ...common }),
      });
    }
  }
  return links;
}

/** The ordered list as one Diagnoser, or undefined when there is none (rules only). */
export function chainDiagnosers(links: readonly ChainLink[], now?: () => number): DiagnoserChain | undefined {
  return links.length > 0 ? new DiagnoserChain(links, now) : undefined;
}
