/**
 * Start-up: the command cannot be found or executed, or the engine could not start the process.
 * The same container configuration fails the same way on every start.
 */
import { MISSING_DEPENDENCY } from './code.js';
import { ADDRESS_IN_USE } from './dependencies.js';
import { lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';
import { extractPath, quoteLine } from '../evidence-text.js';

const COMMAND_NOT_FOUND = /executable file not found|command not found|exec: "[^"]*": (?:stat [^:]+: )?no such file|exec [^\s:]+: no such file or directory|^(?:\/bin\/)?(?:sh|bash|ash|dash|zsh)(?::| line \d+:| \d+:)? [^:]+: (?:not found|No such file or directory)/i;
const NOT_EXECUTABLE = /exec format error|exec [^\s:]+: permission denied|exec: "[^"]*": permission denied|cannot execute binary file|cannot execute: Permission denied|Permission denied.*OCI runtime|(?:sh|bash)(?::| line \d+:| \d+:) [^:]+: Permission denied$/i;
export const SHARED_LIBRARY = /shared librar|shared object/i;

export const commandNotFound: CatalogEntry = {
  // Docker's convention: 127 when the command cannot be found (also the shell's own code).
  id: 'command-not-found',
  failureClass: 'environment',
  // The image or the command line is wrong; a restart runs the same missing command.
  restartCannotFix: true,
  settled: true,
  match(ctx) {
    const hit = lineHit(ctx, COMMAND_NOT_FOUND, SHARED_LIBRARY);
    if (hit) return hit;
    // The engine also reports 127 for other start errors that say "no such file" (a missing
    // mount source); those carry a State.Error and are judged by `start-failed`. The dynamic
    // loader exits 127 too when a shared library is missing: `missing-dependency` says that.
    if (lineHit(ctx, MISSING_DEPENDENCY)) return undefined;
    return ctx.exited && ctx.exitCode === 127 && !ctx.input.evidence.stateError.trim() ? {} : undefined;
  },
  build(ctx, found) {
    const line = found.line ?? '';
    const command = line.match(/exec: "([^"]+)"/)?.[1]
      ?? line.match(/exec ([^\s:]+): no such file/)?.[1]
      ?? line.match(/:\s*([^\s:]+): (?:command )?not found/)?.[1]
      ?? line.match(/([^\s:]+): command not found/)?.[1];
    const which = command ? `the command "${command}"` : 'its command';
    const scriptHint = /no such file or directory/i.test(line)
      ? ' When the file does exist, this is usually a script whose interpreter is missing (#!/bin/bash on Alpine) or that has Windows line endings.'
      : '';
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} ${which} was not found in the image or on its PATH.${quoteHit(found)}${scriptHint}`,
      suggested_fix: `Fix the image or the command: check the entrypoint/command spelling, that ${command ?? 'the program'} is installed in the image, and PATH. Then re-create the container.`,
      config_suggestions: ['Run the command in the image once by hand (docker run --rm --entrypoint sh IMAGE -c "command -v NAME") to confirm it exists.'],
    });
  },
};

export const notExecutable: CatalogEntry = {
  // Docker's convention: 126 when the command exists but cannot be executed.
  id: 'not-executable',
  failureClass: 'host',
  // A missing execute bit, wrong CPU architecture or a noexec mount survive any restart.
  restartCannotFix: true,
  settled: true,
  match(ctx) {
    const hit = lineHit(ctx, NOT_EXECUTABLE);
    if (hit) return hit;
    return ctx.exited && ctx.exitCode === 126 && !ctx.input.evidence.stateError.trim() ? {} : undefined;
  },
  build(ctx, found) {
    const line = found.line ?? '';
    const file = line.match(/exec:? "?([^\s:"]+)"?: /)?.[1] ?? extractPath(line);
    const formatError = /exec format error|cannot execute binary file/i.test(line);
    const why = formatError
      ? `${file ? `"${file}"` : 'its program'} is not a program this machine can run (exec format error: built for another CPU architecture, or a script without a #! line)`
      : `${file ? `"${file}"` : 'its program'} cannot be executed (no execute permission, or on a noexec mount)`;
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} ${why}.${quoteHit(found)}`,
      suggested_fix: formatError
        ? 'Use an image built for this platform (docker image inspect --format {{.Architecture}}; build with --platform) or add a #! line to the script.'
        : 'Make the file executable in the image (RUN chmod +x, or COPY --chmod=755) or run it through its interpreter (sh script.sh), then re-create the container.',
      config_suggestions: formatError ? ['Pin the platform in compose (platform: linux/amd64) or publish a multi-arch image.'] : [],
    });
  },
};

export const startFailed: CatalogEntry = {
  // The engine could not start the process at all (State.Error set): a missing bind-mount
  // source, a network or device that is gone. Docker's restart policy does not retry a failed
  // start, and the same container configuration fails the same way; it must be re-created.
  id: 'start-failed',
  failureClass: 'environment',
  restartCannotFix: true,
  settled: true,
  match(ctx) {
    const stateError = ctx.input.evidence.stateError.trim();
    if (!stateError || ctx.running || ADDRESS_IN_USE.test(stateError)) return undefined;
    return { line: stateError };
  },
  build(ctx, found) {
    const line = found.line ?? '';
    const mount = /mount/i.test(line);
    const path = extractPath(line);
    return unfixable(ctx, {
      root_cause: `${ctx.name} could not be started by the engine${mount ? `: a mount failed${path ? ` (${path})` : ''}` : ''}. Docker says ${quoteLine(line, 300)}.`,
      suggested_fix: mount
        ? `Create the missing source path on the host${path ? ` (${path})` : ''} or fix the volume definition, then re-create the container.`
        : 'Fix what the engine reports (a missing network, device or mount), then re-create the container.',
      config_suggestions: ['Prefer named volumes to host bind mounts where the host path may not exist.'],
    });
  },
};
