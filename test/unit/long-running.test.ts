/**
 * The V8 flags `doctor watch` sets for itself (LOW_MEMORY): each must be one this Node's V8 knows,
 * or V8 prints "Error: unrecognized flag" on every start and the saving silently goes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { LONG_RUNNING_V8_FLAGS } from '../../src/cli/long-running.js';

test('every flag the watch sets is one this V8 knows, and setting them prints nothing', () => {
  const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  for (const flag of LONG_RUNNING_V8_FLAGS) {
    // `--no-opt` is the negation of `--opt`; `--name=value` is listed by its name.
    const name = flag.replace(/^--no-/, '--').replace(/=.*$/, '');
    assert.match(known, new RegExp(`^\\s+${name.replace(/[-]/g, '\\-')} `, 'm'), `${flag} is not in node --v8-options`);
  }
  const script = `for (const f of ${JSON.stringify(LONG_RUNNING_V8_FLAGS)}) require('node:v8').setFlagsFromString(f);`;
  const set = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(set.status, 0);
  assert.equal(set.stderr, '');
});
