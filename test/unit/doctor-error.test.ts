import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DockerUnavailableError, ExitCode, isDoctorError } from '../../src/core/errors.js';

// The CLI's shell and the commands are separate bundles, each with its own copy of errors.ts:
// the shell must know a DoctorError from any copy, and nothing else.
test('isDoctorError knows a DoctorError from this copy and from another, and no other error', () => {
  assert.equal(isDoctorError(new ConfigError('bad setting')), true);
  assert.equal(isDoctorError(new DockerUnavailableError('no engine')), true);

  // What another copy's ConfigError looks like from here: an Error with the registry mark.
  const fromAnotherCopy = Object.assign(new Error('bad setting'), { exitCode: ExitCode.usage, [Symbol.for('container-doctor.DoctorError')]: true });
  assert.equal(isDoctorError(fromAnotherCopy), true);

  for (const other of [new Error('boom'), Object.assign(new Error('x'), { exitCode: 2 }), { message: 'x' }, 'text', null, undefined, 42]) {
    assert.equal(isDoctorError(other), false, String(other));
  }
});
