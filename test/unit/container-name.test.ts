import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkContainerRef, parseContainerRef } from '../../src/core/container-name.js';

const good = ['web', 'web-1', 'my_app.v2', '/web', 'a1b2c3d4e5f6', 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2', 'W'];
const bad: Array<[string, RegExp]> = [
  ['', /empty/],
  ['/', /empty/],
  ['../../containers/json', /letters, digits/],
  ['web\u0001', /control characters/],
  ['web\nname', /control characters/],
  ['-web', /letters, digits/],
  ['.hidden', /letters, digits/],
  ['web name', /letters, digits/],
  ['web?all=1', /letters, digits/],
  ['x'.repeat(256), /longer than 255/],
];

for (const name of good) test(`accepts ${JSON.stringify(name)}`, () => assert.equal(checkContainerRef(name), null));
for (const [name, why] of bad) test(`refuses ${JSON.stringify(name).slice(0, 40)}`, () => assert.match(checkContainerRef(name) ?? '', why));

test('the message is one line naming what was given, with control bytes escaped', () => {
  const r = parseContainerRef('we\u0000b', 'container');
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.message, 'container "we\\u0000b" is not a container name or id: it contains control characters');
  assert.deepEqual(parseContainerRef('/web', 'container'), { ok: true, ref: 'web' });
});
