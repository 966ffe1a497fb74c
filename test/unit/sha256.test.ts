import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sha256Hex } from '../../src/core/sha256.js';

const nodeSha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('sha256Hex', () => {
  test('the FIPS 180-4 examples', () => {
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  test('agrees with node:crypto at every length around the block and padding edges', () => {
    for (let n = 0; n <= 200; n++) {
      const text = 'x'.repeat(n);
      assert.equal(sha256Hex(text), nodeSha256(text), `length ${n}`);
    }
  });

  test('hashes UTF-8 bytes, as node:crypto does for a string', () => {
    for (const text of ['caf\u00e9', '\u00b5s', '\u65e5\u672c\u8a9e', '\u{1f525} fire', 'state:exit:1\nerror: <v> \u2019quoted\u2019\n']) {
      assert.equal(sha256Hex(text), nodeSha256(text), JSON.stringify(text));
    }
  });

  test('agrees with node:crypto on random text up to 100 KB', () => {
    for (let i = 0; i < 50; i++) {
      const text = randomBytes(1 + Math.floor(Math.random() * 100_000)).toString('latin1');
      assert.equal(sha256Hex(text), nodeSha256(text));
    }
  });
});
