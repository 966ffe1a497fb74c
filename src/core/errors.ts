/**
 * The doctor's small error vocabulary. Commands throw these; the CLI's one top-level handler maps
 * them to an exit code and a one-line message. Low-level errors travel as `cause`.
 */

export const ExitCode = {
  ok: 0,
  problemFound: 1,
  usage: 2,
  dockerUnavailable: 3,
  internal: 70,
} as const;

/**
 * The CLI's shell (dist/doctor.cjs) and the commands it imports are separate bundles, each with its
 * own copy of this file, so the shell cannot use `instanceof` on what a command threw: a DoctorError
 * carries this registry-wide mark instead.
 */
const DOCTOR_ERROR = Symbol.for('container-doctor.DoctorError');

export class DoctorError extends Error {
  readonly exitCode: number = ExitCode.internal;
  readonly [DOCTOR_ERROR] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting, flag or argument is invalid. The message names it. */
export class ConfigError extends DoctorError {
  override readonly exitCode = ExitCode.usage;
}

/** The named container does not exist on any watched engine. */
export class ContainerNotFoundError extends DoctorError {
  override readonly exitCode = ExitCode.usage;
}

/** The Docker Engine could not be reached. */
export class DockerUnavailableError extends DoctorError {
  override readonly exitCode = ExitCode.dockerUnavailable;
}

/** A state or audit file could not be read or written. */
export class StateError extends DoctorError {
  override readonly exitCode = ExitCode.usage;
}

/** Whether `error` is a DoctorError from any copy of this module (see DOCTOR_ERROR). */
export function isDoctorError(error: unknown): error is DoctorError {
  return typeof error === 'object' && error !== null && (error as { [DOCTOR_ERROR]?: unknown })[DOCTOR_ERROR] === true;
}

/** Short description of any thrown value, for one-line messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** `ENOSPC: no space left on device, open '/state/x.tmp'` -> `no space left on device (ENOSPC)`. */
export function describeWriteError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code === 'string') {
    const text = /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1];
    return text ? `${text} (${e.code})` : e.code;
  }
  return error instanceof Error ? error.message : String(error);
}
