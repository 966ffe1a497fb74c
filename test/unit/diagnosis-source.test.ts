import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeDiagnosisSource, diagnosisBackend, diagnosisModelLabel, isAiDiagnosis } from '../../src/core/diagnosis-source.js';

test('who diagnosed: rules, a v0.1 Claude record, and each backend', () => {
  const rows: Array<[Parameters<typeof describeDiagnosisSource>[0], boolean, string | undefined, string, string]> = [
    [{ source: 'rules', rule: 'oom-kill' }, false, undefined, 'rules (oom-kill)', 'unknown model'],
    [{ source: 'claude', model: 'claude-haiku-4-5' }, true, 'claude', 'Claude (claude-haiku-4-5)', 'claude-haiku-4-5'],
    [{ source: 'ai', backend: 'claude', model: 'claude-sonnet-4-6' }, true, 'claude', 'Claude (claude-sonnet-4-6)', 'claude-sonnet-4-6'],
    [{ source: 'ai', backend: 'ollama', model: 'qwen2.5:7b' }, true, 'ollama', 'Ollama (qwen2.5:7b)', 'ollama/qwen2.5:7b'],
    [{ source: 'ai', backend: 'openai' }, true, 'openai', 'OpenAI-compatible (unknown model)', 'openai/unknown model'],
  ];
  for (const [d, ai, backend, described, label] of rows) {
    assert.equal(isAiDiagnosis(d), ai);
    assert.equal(diagnosisBackend(d), backend);
    assert.equal(describeDiagnosisSource(d), described);
    if (ai) assert.equal(diagnosisModelLabel(d), label);
  }
});
