/**
 * What the doctor does when its stdout or stderr can no longer be written: the reader closed
 * the pipe (`doctor history --json | head -1`, quitting `less`) or the file is gone bad.
 *
 * Node ignores SIGPIPE, so a write to a closed pipe is an EPIPE 'error' event on the stream,
 * and with no listener that event is an uncaught exception: a stack trace and exit 1.
 *
 * EPIPE is not a failure of the doctor: the reader took what it wanted. We do what ripgrep does
 * (it exits 0 on a broken pipe, "matching existing grep behavior"): no message, and the command
 * ends with its own status. We do not imitate git's death by SIGPIPE (141): Node cannot let
 * that signal kill it, a faked 141 would fail `set -o pipefail` scripts that only wanted the
 * first line, and the command's status keeps its meaning (`diagnose` exits 1 when it found a
 * problem, whoever stopped reading).
 *
 * The writes are dropped, not the process ended: a command still finishes its work after its
 * output (`diagnose --fix` closes the runtime, which flushes the audit log), and `doctor watch`
 * keeps watching, restarting and recording to STATE_DIR; only its feed stops being printed.
 *
 * Any other write error (ENOSPC, EIO on a redirect into a file) is one line on the other stream,
 * if it still works, and exit 70 for a one-shot command: its output did not all arrive.
 */
import { ExitCode } from '../core/errors.js';

type Out = NodeJS.WriteStream;

export interface OutputGuard {
  /** The first write error that was not a closed pipe, e.g. `stdout: ENOSPC`; undefined if none. */
  readonly failure: () => string | undefined;
  /** For long-running commands: say once, on stderr, that stdout is gone (the watcher keeps working). */
  announceStdoutLoss(message: string): void;
}

function dropWrites(stream: Out): void {
  // A destroyed stream would call back with ERR_STREAM_DESTROYED; nobody waits for these writes
  // but callbacks must still run (a caller awaiting a drain or a write callback must not hang).
  stream.write = ((_chunk: unknown, encodingOrCb?: unknown, cb?: unknown) => {
    const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    if (typeof callback === 'function') process.nextTick(callback as () => void);
    return true;
  }) as Out['write'];
}

/** Installs the handlers on process.stdout and process.stderr; call once, before any output. */
export function guardOutput(): OutputGuard {
  let failure: string | undefined;
  let announcement: string | undefined;
  const closed = { stdout: false, stderr: false };
  const watch = (name: 'stdout' | 'stderr', stream: Out, other: Out) => {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (closed[name]) return;
      closed[name] = true;
      dropWrites(stream);
      if (error.code === 'EPIPE') {
        if (name === 'stdout' && announcement !== undefined && !closed.stderr) process.stderr.write(`${announcement}\n`);
        return;
      }
      failure ??= `${name}: ${error.code ?? error.message}`;
      const otherName = name === 'stdout' ? 'stderr' : 'stdout';
      if (!closed[otherName]) other.write(`doctor: cannot write to ${name}: ${error.code ?? error.message}\n`);
      if (announcement === undefined) process.exitCode = ExitCode.internal;
    });
  };
  watch('stdout', process.stdout, process.stderr);
  watch('stderr', process.stderr, process.stdout);
  return {
    failure: () => failure,
    announceStdoutLoss(message: string) {
      announcement = message;
    },
  };
}
