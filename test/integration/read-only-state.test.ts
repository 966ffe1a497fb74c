/**
 * A read-only run (`doctor report`, `doctor diagnose` without --fix) on a STATE_DIR whose files
 * are damaged: every file is byte-identical afterwards (same name, same bytes, nothing moved aside
 * or added), the command still answers, and it says so in one warning line per damaged file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/doctor-harness.js';
import { removeAllTestContainers, requireEngine, runContainer, testDockerHost, waitFor } from '../helpers/engine.js';
import { statusOf } from '../helpers/scenes.js';

before(requireEngine);
after(removeAllTestContainers);

const DAMAGED: Record<string, string> = {
  'stories.json': '{"v":1,"hosts":{},"stories":{"local/abc":{"id":3',
  'state.json': '{"v":1,"containers":"not an object","lastEventMs":{}}\n',
  'diagnoses.json': '\u0000\u0000garbage',
  'audit.jsonl': '',
};

async function damagedStateDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doctor-readonly-'));
  for (const [name, text] of Object.entries(DAMAGED)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function assertUntouched(dir: string): Promise<void> {
  assert.deepEqual((await readdir(dir)).sort(), Object.keys(DAMAGED).sort(), 'nothing moved aside, nothing added');
  for (const [name, text] of Object.entries(DAMAGED)) assert.equal(await readFile(path.join(dir, name), 'utf8'), text, `${name} is byte-identical`);
}

describe('read-only commands on damaged state files', () => {
  test('doctor report: answers from the audit log, one warning for the story file, moves nothing', async () => {
    const dir = await damagedStateDir();
    const r = await runCli(['report', '--json'], { STATE_DIR: dir });
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0]!, /^doctor: warning: story file .*stories\.json is damaged \(not valid JSON\); left as it is/);
    assert.equal((JSON.parse(r.stdout) as { containers: unknown[] }).containers.length, 0);
    await assertUntouched(dir);
  });

  test('doctor diagnose without --fix: diagnoses, one warning per damaged file, moves and writes nothing', async () => {
    const dir = await damagedStateDir();
    const c = await runContainer({ name: 'readonly-crash', cmd: 'echo "Error: boom" >&2; exit 1' });
    await waitFor(async () => (await statusOf(c.id)) === 'exited', { what: `${c.name} to exit` });
    const r = await runCli(['diagnose', c.name, '--no-ai'], { DOCKER_HOST: testDockerHost(), STATE_DIR: dir, HEALTH_PORT: '0' }, { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /RESTART/);
    const warnings = r.stderr.split('\n').filter((l) => l !== '');
    for (const what of ['state file', 'story file', 'diagnosis budget file']) {
      assert.equal(warnings.filter((w) => w.startsWith(`doctor: warning: ${what} is damaged (`) && w.includes('left as it is')).length, 1, `one line for the ${what}:\n${r.stderr}`);
    }
    assert.equal(warnings.length, 3, r.stderr);
    await assertUntouched(dir);
  });
});
