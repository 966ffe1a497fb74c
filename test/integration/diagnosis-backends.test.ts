/**
 * The local diagnosis backends against look-alikes of their servers on 127.0.0.1: Ollama's
 * `/api/chat` and an OpenAI-compatible `/v1/chat/completions` (vLLM, LM Studio, llama.cpp), plus
 * the ordered chain with a keyless Claude (an Anthropic-compatible local server). Same contract
 * as Claude: redacted request, validated answer, failures fall through, never a throw.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDiagnosers, chainDiagnosers } from '../../src/adapters/llm/build-diagnosers.js';
import { OllamaDiagnoser } from '../../src/adapters/llm/ollama-diagnoser.js';
import { OpenAiDiagnoser } from '../../src/adapters/llm/openai-diagnoser.js';
import type { BackendConfig } from '../../src/config/load-config.js';
import { DIAGNOSIS_SYSTEM_PROMPT } from '../../src/core/diagnosis-prompt.js';
import type { DiagnosisRequest } from '../../src/pipeline/ports.js';
import { SecondOpinions } from '../../src/pipeline/second-opinion.js';
import { GOOD_DIAGNOSIS, startFakeAnthropic, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { FakeService, ollamaReply, ollamaService, openAiReply, openAiService } from '../helpers/fake-services.js';
import { makeEvidence, makeFacts, makeHistory, makeVerdict } from '../helpers/facts.js';

const DB_PASSWORD = 'Pl4nted-Db-Passw0rd';
const OPENAI_KEY = 'sk-local-0123456789abcdefghijkl';

function makeRequest(): DiagnosisRequest {
  const facts = makeFacts({ ref: { name: 'thumbs' }, exitCode: 137, oomKilled: true, env: [`DB_PASSWORD=${DB_PASSWORD}`] });
  return {
    facts,
    evidence: makeEvidence(facts, { matchedLines: ['FATAL: JavaScript heap out of memory'], logTail: [`connecting with password ${DB_PASSWORD}`, 'FATAL: JavaScript heap out of memory'] }),
    rules: makeVerdict({ rule: 'oom-kill', severity: 'high', safe: false, settled: false }),
    history: makeHistory(),
    signature: 'sig-oom',
    logTail: [`connecting with password ${DB_PASSWORD}`, 'FATAL: JavaScript heap out of memory'],
  };
}

const good = JSON.stringify(GOOD_DIAGNOSIS);
let ollamaNext: () => ReturnType<typeof ollamaReply>;
let openAiNext: () => ReturnType<typeof openAiReply>;
let ollama: FakeService;
let openai: FakeService;

before(async () => {
  ollama = await FakeService.start(ollamaService(['qwen2.5:7b'], () => ollamaNext()));
  openai = await FakeService.start(openAiService(OPENAI_KEY, () => openAiNext()));
});
after(async () => {
  await Promise.all([ollama.close(), openai.close()]);
});
beforeEach(() => {
  ollama.requests.length = 0;
  openai.requests.length = 0;
  ollamaNext = () => ollamaReply(good);
  openAiNext = () => openAiReply({ content: good });
});

const ollamaDx = (o: Partial<ConstructorParameters<typeof OllamaDiagnoser>[0]> = {}) => new OllamaDiagnoser({ baseURL: ollama.base, model: 'qwen2.5:7b', timeoutMs: 5_000, ...o });
const openAiDx = (o: Partial<ConstructorParameters<typeof OpenAiDiagnoser>[0]> = {}) =>
  new OpenAiDiagnoser({ baseURL: `${openai.base}/v1`, apiKey: OPENAI_KEY, model: 'Qwen/Qwen2.5-7B-Instruct', timeoutMs: 5_000, ...o });

describe('Ollama /api/chat', () => {
  test('asks with the JSON schema as format, redacted, and validates the answer', async () => {
    const result = await ollamaDx().diagnose(makeRequest());
    assert.equal(result.ok, true, result.ok ? '' : result.error);
    assert.ok(result.ok);
    assert.deepEqual([result.diagnosis.source, result.diagnosis.backend, result.diagnosis.model], ['ai', 'ollama', 'qwen2.5:7b']);
    assert.equal(result.diagnosis.root_cause, GOOD_DIAGNOSIS.root_cause);
    assert.deepEqual(result.usage, { inputTokens: 900, outputTokens: 120, cacheReadTokens: 0, cacheWriteTokens: 0 });
    const [req] = ollama.requests;
    const body = req!.body as any;
    assert.equal(body.stream, false);
    assert.equal(body.format.type, 'object');
    assert.ok(body.format.required.includes('auto_restart_safe'));
    assert.equal(body.messages[0].content, DIAGNOSIS_SYSTEM_PROMPT);
    assert.ok(!req!.raw.includes(DB_PASSWORD), 'the container secret never leaves the machine');
  });

  test('JSON wrapped in prose and a code fence is parsed and validated', async () => {
    ollamaNext = () => ollamaReply(`Sure! Here is the diagnosis:\n\`\`\`json\n${good}\n\`\`\`\nHope this helps.`);
    const result = await ollamaDx().diagnose(makeRequest());
    assert.equal(result.ok, true);
  });

  const bad: Array<[string, () => ReturnType<typeof ollamaReply>, RegExp]> = [
    ['an invalid severity', () => ollamaReply(JSON.stringify({ ...GOOD_DIAGNOSIS, severity: 'critical' })), /Ollama answer rejected: invalid diagnosis: severity/],
    ['no JSON at all', () => ollamaReply('The container crashed because of memory.'), /no JSON object/],
    ['a cut-off answer', () => ollamaReply('{"root_cause": "x', { done_reason: 'length' }), /cut off/],
    ['a 500', () => ({ status: 500, body: { error: 'llama runner process has terminated: signal: killed' } }), /Ollama error \(500\): llama runner process has terminated/],
    ['a 429 (busy)', () => ({ status: 429, body: { error: 'server busy, please try again. maximum pending requests exceeded' }, headers: { 'retry-after': '3' } }), /Ollama error \(429\)/],
    ['a hang-up', () => ({ hangUp: true }), /cannot reach the Ollama/],
  ];
  for (const [what, reply, expected] of bad) {
    test(`${what} is a failure, not a throw`, async () => {
      ollamaNext = reply;
      const result = await ollamaDx().diagnose(makeRequest());
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.match(result.error, expected);
    });
  }

  test('a model that is not pulled says so', async () => {
    const result = await ollamaDx({ model: 'llama9:900b' }).diagnose(makeRequest());
    assert.ok(!result.ok);
    assert.match(result.error, /model 'llama9:900b' not found/);
  });

  test('a slow model times out', async () => {
    ollamaNext = () => ({ ...ollamaReply(good), delayMs: 1_000 });
    const result = await ollamaDx({ timeoutMs: 200 }).diagnose(makeRequest());
    assert.ok(!result.ok);
    assert.match(result.error, /timed out/);
  });
});

describe('OpenAI-compatible /v1/chat/completions', () => {
  test('json_schema: response_format carries the schema; the key is sent as a bearer token', async () => {
    const result = await openAiDx().diagnose(makeRequest());
    assert.ok(result.ok, result.ok ? '' : result.error);
    assert.deepEqual([result.diagnosis.backend, result.diagnosis.model], ['openai', 'Qwen/Qwen2.5-7B-Instruct']);
    const body = openai.requests[0]!.body as any;
    assert.equal(body.response_format.type, 'json_schema');
    assert.equal(body.response_format.json_schema.name, 'record_diagnosis');
    assert.equal(body.tools, undefined);
    assert.ok(!openai.requests[0]!.raw.includes(DB_PASSWORD));
  });

  test('tools: a forced function call, its arguments validated', async () => {
    openAiNext = () => openAiReply({ tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'record_diagnosis', arguments: good } }] }, {});
    const result = await openAiDx({ structured: 'tools' }).diagnose(makeRequest());
    assert.ok(result.ok, result.ok ? '' : result.error);
    const body = openai.requests[0]!.body as any;
    assert.equal(body.tool_choice.function.name, 'record_diagnosis');
    assert.equal(body.tools[0].function.parameters.type, 'object');
  });

  test('a model that ignores the forced call and answers JSON in text is parsed, not trusted blindly', async () => {
    openAiNext = () => openAiReply({ content: `I think: ${JSON.stringify({ ...GOOD_DIAGNOSIS, auto_restart_safe: 'yes please' })}` });
    const rejected = await openAiDx({ structured: 'tools' }).diagnose(makeRequest());
    assert.ok(!rejected.ok);
    assert.match(rejected.error, /auto_restart_safe/);
    openAiNext = () => openAiReply({ content: `I think: ${good}` });
    assert.equal((await openAiDx({ structured: 'tools' }).diagnose(makeRequest())).ok, true);
  });

  const bad: Array<[string, () => ReturnType<typeof openAiReply>, RegExp]> = [
    ['a cut-off answer', () => ({ ...openAiReply({ content: '{"root' }), body: { ...(openAiReply({ content: '{"root' }).body as object), choices: [{ index: 0, message: { role: 'assistant', content: '{"root' }, finish_reason: 'length' }] } }), /cut off/],
    ['a refusal', () => openAiReply({ refusal: 'I cannot help with that.' }), /refused/],
    ['a 429 with Retry-After', () => ({ status: 429, body: { error: { message: 'Rate limit reached', type: 'rate_limit_error' } }, headers: { 'retry-after': '20' } }), /\(429\): Rate limit reached/],
    ['a 503', () => ({ status: 503, body: 'upstream unavailable' }), /\(503\)/],
    ['an empty choice list', () => ({ status: 200, body: { choices: [] } }), /malformed/],
  ];
  for (const [what, reply, expected] of bad) {
    test(`${what} is a failure`, async () => {
      openAiNext = reply;
      const result = await openAiDx().diagnose(makeRequest());
      assert.ok(!result.ok);
      assert.match(result.error, expected);
    });
  }

  test('a wrong key is a 401 failure that does not print the key', async () => {
    const result = await openAiDx({ apiKey: 'sk-wrong-0123456789abcdefghij' }).diagnose(makeRequest());
    assert.ok(!result.ok);
    assert.match(result.error, /rejected the key \(401\)/);
    assert.ok(!result.error.includes('sk-wrong'));
  });
});

describe('DIAGNOSIS_BACKENDS chain', () => {
  let anthropic: FakeAnthropic;
  before(async () => {
    anthropic = await startFakeAnthropic();
  });
  after(async () => {
    await anthropic.close();
  });

  function backends(names: readonly string[], maxPerHour = 10): BackendConfig[] {
    const all: Record<string, BackendConfig> = {
      ollama: { name: 'ollama', baseURL: ollama.base, model: 'qwen2.5:7b', timeoutMs: 5_000, maxPerHour },
      openai: { name: 'openai', baseURL: `${openai.base}/v1`, apiKey: OPENAI_KEY, model: 'Qwen/Qwen2.5-7B-Instruct', timeoutMs: 5_000, maxPerHour, structured: 'json_schema' },
      claude: { name: 'claude', apiKey: undefined, baseURL: anthropic.url, model: 'claude-haiku-4-5', timeoutMs: 5_000, maxPerHour },
    };
    return names.map((n) => all[n]!);
  }

  test('the first backend that answers validly decides; earlier failures are on record', async () => {
    ollamaNext = () => ollamaReply(JSON.stringify({ ...GOOD_DIAGNOSIS, severity: 'catastrophic' }));
    const chain = chainDiagnosers(await buildDiagnosers({ diagnosis: { backends: backends(['ollama', 'openai']) } }))!;
    const result = await chain.diagnose(makeRequest());
    assert.ok(result.ok);
    assert.equal(result.backend, 'openai');
    assert.equal(result.diagnosis.backend, 'openai');
    assert.match(String(result.fellThrough), /^ollama: Ollama answer rejected/);
    assert.equal(typeof result.latencyMs, 'number');
    assert.deepEqual(result.usage, { inputTokens: 900 + 1000, outputTokens: 120 + 150, cacheReadTokens: 0, cacheWriteTokens: 0 }, 'tokens of both calls');
    assert.deepEqual(chain.stats().map((s) => [s.backend, s.calls, s.answers, s.failures]), [['ollama', 1, 0, 1], ['openai', 1, 1, 0]]);
  });

  test('when every backend fails, the error names each and the caller falls back to rules, unsafe', async () => {
    ollamaNext = () => ({ status: 500, body: { error: 'out of VRAM' } });
    openAiNext = () => ({ status: 500, body: 'boom' });
    const chain = chainDiagnosers(await buildDiagnosers({ diagnosis: { backends: backends(['ollama', 'openai']) } }))!;
    const request = makeRequest();
    const opinions = new SecondOpinions({
      config: { anthropic: { maxDiagnosesPerHour: 20, model: 'claude-haiku-4-5' } } as never,
      feed: () => undefined,
      diagnosers: [chain],
      dedupeWindowMs: 0,
    });
    const opinion = await opinions.ask({ ...request, logTail: () => [...request.logTail!], key: 'k', seenBefore: false, manual: false, now: Date.now() });
    assert.equal(opinion.ai?.source, 'rules');
    assert.equal(opinion.ai?.auto_restart_safe, false);
    assert.match(String(opinion.aiNote), /AI diagnosis failed \(ollama: Ollama error \(500\): out of VRAM; openai: .*\(500\)/);
  });

  test('a spent hourly budget skips a backend; a keyless Claude (local Anthropic-compatible server) answers', async () => {
    const chain = chainDiagnosers(await buildDiagnosers({ diagnosis: { backends: [...backends(['ollama'], 1), ...backends(['claude'])] } }))!;
    const first = await chain.diagnose(makeRequest());
    assert.ok(first.ok);
    assert.equal(first.backend, 'ollama');
    const second = await chain.diagnose(makeRequest());
    assert.ok(second.ok, second.ok ? '' : second.error);
    assert.equal(second.backend, 'claude');
    assert.match(String(second.fellThrough), /ollama: 1 calls this hour already/);
    const req = anthropic.requests.at(-1)!;
    assert.equal(req.headers['x-api-key'], undefined, 'no key header without a key');
    assert.equal(req.headers.authorization, undefined);
    assert.equal(typeof second.estimatedCostUsd, 'number', 'Claude calls are priced');
  });

  test('the record carries backend, model, tokens, latency and cost', async () => {
    const chain = chainDiagnosers(await buildDiagnosers({ diagnosis: { backends: backends(['ollama']) } }))!;
    const request = makeRequest();
    const opinions = new SecondOpinions({ config: { anthropic: { maxDiagnosesPerHour: 20, model: 'claude-haiku-4-5' } } as never, feed: () => undefined, diagnosers: [chain], dedupeWindowMs: 0 });
    const opinion = await opinions.ask({ ...request, logTail: () => [...request.logTail!], key: 'k', seenBefore: false, manual: false, now: Date.now() });
    assert.equal(opinion.ai?.backend, 'ollama');
    assert.equal(opinion.aiUsage?.backend, 'ollama');
    assert.equal(opinion.aiUsage?.model, 'qwen2.5:7b');
    assert.equal(opinion.aiUsage?.inputTokens, 900);
    assert.equal(opinion.aiUsage?.estimatedCostUsd, 0, 'a local model costs nothing');
    assert.equal(typeof opinion.aiUsage?.latencyMs, 'number');
  });
});
