/**
 * The audit log's line splitter yields what node:readline (crlfDelay: Infinity) yields for the
 * same file, which it replaced: `\n`, `\r\n` and a lone `\r` break lines, a `\r\n` split across
 * two read chunks is one break, and no empty line follows a final break. Real files; readline is
 * the oracle.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileLines } from '../../src/adapters/audit/file-lines.js';

/** createReadStream's chunk: a break placed across it tests the seam. */
const CHUNK = 64 * 1024;

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-lines-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function both(text: string): Promise<{ ours: string[]; readline: string[] }> {
  const file = path.join(dir, `f${n++}.txt`);
  await writeFile(file, text);
  const ours: string[] = [];
  for await (const line of fileLines(file)) ours.push(line);
  const readline: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })) readline.push(line);
  return { ours, readline };
}

describe('fileLines', () => {
  const cases: Record<string, string> = {
    'an empty file': '',
    'one line, no final break': 'a',
    'a final break': 'a\nb\n',
    'empty lines between': 'a\n\n\nb',
    'CRLF breaks': 'a\r\nb\r\n',
    'a lone CR': 'a\rb\r',
    'a CR then an empty CRLF line': 'a\r\r\nb',
    'non-ASCII text': '{"msg":"café ‘quoted’ …"}\n{"msg":"日本"}\n',
    'a CRLF split across two chunks': `${'x'.repeat(CHUNK - 1)}\r\nnext\n`,
    'a lone CR ending the first chunk': `${'x'.repeat(CHUNK - 1)}\rnext`,
    'a CR ending the file': `${'x'.repeat(CHUNK - 1)}\r`,
    'a line longer than three chunks': `${'y'.repeat(CHUNK * 3 + 7)}\nend`,
  };
  for (const [name, text] of Object.entries(cases)) {
    test(`${name}: the lines readline gives`, async () => {
      const { ours, readline } = await both(text);
      assert.deepEqual(ours, readline);
    });
  }

  test('the lines are the text between the breaks', async () => {
    const { ours } = await both('first\r\nsecond\rthird\n\nfifth');
    assert.deepEqual(ours, ['first', 'second', 'third', '', 'fifth']);
  });
});
