/**
 * Local models often ignore a forced tool call or a JSON-schema format and answer with JSON in
 * prose or a fenced block. That text is searched for one JSON object, which is then validated
 * like any answer: parsed, never trusted.
 */
import { parseDiagnosisInput, type DiagnosisInputResult } from '../../core/diagnosis-schema.js';

/** The first complete top-level JSON object in `text` (inside a ``` fence or not), or undefined. */
export function findJsonObject(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  for (const candidate of fenced?.[1] ? [fenced[1], text] : [text]) {
    const trimmed = candidate.trim();
    try {
      const direct: unknown = JSON.parse(trimmed);
      if (typeof direct === 'object' && direct !== null) return direct;
    } catch {
      // not JSON as a whole: look for an object inside
    }
    for (let start = trimmed.indexOf('{'); start !== -1; start = trimmed.indexOf('{', start + 1)) {
      const end = matchingBrace(trimmed, start);
      if (end === -1) continue;
      try {
        return JSON.parse(trimmed.slice(start, end + 1)) as unknown;
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}

/** Index of the brace closing the one at `start`, skipping strings; -1 when unbalanced. */
function matchingBrace(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** A model's text answer as diagnosis fields: a JSON object in it, validated by the one schema. */
export function parseTextAnswer(text: string): DiagnosisInputResult {
  const found = findJsonObject(text);
  if (found === undefined) return { ok: false, error: 'no JSON object in the answer' };
  return parseDiagnosisInput(found);
}
