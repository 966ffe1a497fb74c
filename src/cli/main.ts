import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, describeError, isDoctorError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { silenceDependencyWarnings } from './dependency-warnings.js';
import { guardOutput, type OutputGuard } from './closed-output.js';
import { tuneForOneShot } from './one-shot.js';

// Each command's module is imported when that command runs, never for `--help` or another
// command: the Docker client, the Anthropic SDK, zod and the Slack client cost most of the
// start-up time and memory (issue 14).

function positiveInt(flag: string) {
  return (value: string): string => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError(`${flag} must be a whole number above 0`);
    return value.trim();
  };
}

/**
 * `--env-file`, and `--doctor-env-file`: bin/doctor.js renames the flag before node starts,
 * because Node 20 takes `--env-file` anywhere in its argv as its own option.
 */
function addEnvFileFlag(command: Command): Command {
  return command
    .option('--env-file <path>', 'read settings from this file instead of ./.env')
    .addOption(new Option('--doctor-env-file <path>').hideHelp());
}

/** Flags shared by the commands that read configuration. */
function addConfigFlags(command: Command): Command {
  return addEnvFileFlag(command)
    .option('--docker-host <hosts>', 'Docker Engine(s) to watch, comma-separated (DOCKER_HOST)')
    .option('--state-dir <dir>', 'where the audit log and state live (STATE_DIR)')
    .option('--log-lines <n>', 'log lines to read per container (LOG_LINES)', positiveInt('--log-lines'));
}

export function buildProgram(output?: OutputGuard): Command {
  const program = new Command('doctor')
    .description('Keeps Docker containers alive and explains their failures.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Before the command's own module loads, so its chunks are cached too (one-shot.ts).
    .hook('preAction', async (_program, command) => {
      if (command.name() !== 'watch') await tuneForOneShot();
    });

  addConfigFlags(
    program
      .command('watch')
      .description('watch containers, diagnose failures, restart when clearly safe, record every decision')
      .option('--once', 'run one reconcile cycle, then exit')
      .option('--json', 'print the live feed as JSON lines on stdout')
      .option('--targets <names>', 'comma-separated containers to watch (TARGET_CONTAINERS)')
      .option('--interval <seconds>', 'seconds between reconcile cycles (CHECK_INTERVAL)')
      .addOption(new Option('--observe-only', 'decide and record, never act (AUTO_FIX=false)'))
      .option('--no-ai', 'never ask Claude, even with ANTHROPIC_API_KEY set'),
  ).action(async (opts) => {
    // The configuration first, then V8's flags, then the watcher's code (commands/watch.ts).
    const watch = await import('./commands/watch.js');
    const config = watch.configFromFlags(opts);
    // A closed stdout must not stop the watcher mid-incident: it keeps acting and recording to
    // STATE_DIR, and says once on stderr that its feed is no longer printed.
    output?.announceStdoutLoss('doctor: stdout is closed; watching and recording to STATE_DIR go on, the feed is no longer printed');
    if (opts.once !== true && config.lowMemory) watch.tuneForLongRunning();
    process.exitCode = await watch.runWatchCommand(opts, stopOnSignals(), config);
  });

  addConfigFlags(
    program
      .command('diagnose')
      .description('inspect one container now and explain what is wrong with it')
      .argument('<container>', 'container name or id')
      .option('--json', 'print one JSON object on stdout')
      .option('--fix', 'act on the decision (restart when clearly safe)')
      .option('--no-ai', 'rules only, even with ANTHROPIC_API_KEY set'),
  ).action(async (container: string, opts) => {
    const { runDiagnoseCommand } = await import('./commands/diagnose.js');
    process.exitCode = await runDiagnoseCommand(container, opts);
  });

  addEnvFileFlag(program
    .command('history'))
    .description('show the audit log as a timeline')
    .option('--container <name>', 'only this container')
    .option('-n, --limit <n>', 'how many incidents (the newest)', positiveInt('-n'), '20')
    .option('--json', 'print JSON lines on stdout, newest first like the text')
    .option('--state-dir <dir>', 'where the audit log lives (STATE_DIR)')
    .action(async (opts) => {
      const { runHistoryCommand } = await import('./commands/history.js');
      process.exitCode = await runHistoryCommand(opts);
    });

  addEnvFileFlag(program
    .command('report'))
    .description('what happened, whether the doctor helped, and what it cost, from the audit log and stories')
    .option('--since <span|date>', 'from this long ago (7d, 24h, 30m, 2w) or this date (2026-11-30)', '7d')
    .option('--until <span|date>', 'up to this long ago or this time (default now)')
    .option('--container <name>', 'only this container')
    .option('--json', 'print one JSON object on stdout (docs/report.md)')
    .option('--markdown', 'print markdown for a ticket')
    .option('--state-dir <dir>', 'where the audit log and stories live (STATE_DIR)')
    .action(async (opts) => {
      const { runReportCommand } = await import('./commands/report.js');
      process.exitCode = await runReportCommand(opts);
    });

  const notify = program.command('notify').description('check the alert channels');
  addEnvFileFlag(
    notify
      .command('test')
    .description('send a test message to each configured channel (NOTIFY_URLS, SLACK_WEBHOOK_URL) and report each result')
    .option('--channel <url>', 'test only this channel URL (for example ntfy://ntfy.sh/my-topic)')
    .option('--json', 'print the results as one JSON array on stdout'),
  ).action(async (opts) => {
      process.exitCode = await (await import('./commands/notify-test.js')).runNotifyTestCommand(opts);
    });

  addEnvFileFlag(program
    .command('healthcheck')
    .description("exit 0 when the local doctor's /health answers healthy (for the image's HEALTHCHECK)"))
    .action(async (opts) => {
      const { runHealthcheckCommand } = await import('./commands/healthcheck.js');
      process.exitCode = await runHealthcheckCommand(opts);
    });

  addConfigFlags(
    program
      .command('config')
      .description('print the effective configuration and where each value came from (secrets masked)')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (opts) => {
    const { runConfigCommand } = await import('./commands/config.js');
    process.exitCode = await runConfigCommand(opts);
  });

  // People in the loop (issue 10): talk to the running doctor's control endpoints.
  const controlFlags = (command: Command) =>
    addEnvFileFlag(command).option('--url <url>', "the running doctor's endpoint (default http://HEALTH_HOST:HEALTH_PORT)").option('--json', 'print the answer as JSON on stdout');
  controlFlags(program.command('approve').description('approve the restart proposed for an incident (AUTO_FIX=ask, or an escalation)').argument('<incident>', 'incident id (inc-...)'))
    .action(async (incident: string, opts) => {
      process.exitCode = await (await import('./commands/control.js')).runApproveCommand(incident, opts);
    });
  controlFlags(program.command('snooze').description('no alerts and no action for a container for a while (or --never: never auto-restart)').argument('<container>', 'container name'))
    .option('--for <duration>', 'how long: 30m, 2h, 1d', '1h')
    .option('--never', 'never auto-restart it, until lifted with unsnooze --override')
    .option('--host <host>', 'which engine, when the doctor watches several')
    .action(async (container: string, opts) => {
      process.exitCode = await (await import('./commands/control.js')).runSnoozeCommand(container, opts);
    });
  controlFlags(program.command('unsnooze').description("lift a container's snooze (--override: its never-auto-restart override; --all: both)").argument('<container>', 'container name'))
    .option('--override', 'lift the never-auto-restart override instead')
    .option('--all', 'lift both')
    .option('--host <host>', 'which engine, when the doctor watches several')
    .action(async (container: string, opts) => {
      process.exitCode = await (await import('./commands/control.js')).runUnsnoozeCommand(container, opts);
    });
  controlFlags(program.command('pending').description('what waits for approval, and the snoozes and overrides in force'))
    .action(async (opts) => {
      process.exitCode = await (await import('./commands/control.js')).runPendingCommand(opts);
    });

  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: string) => {
      const { runCompletionCommand } = await import('./commands/completion.js');
      process.exitCode = runCompletionCommand(program, shell);
    });

  return program;
}

/**
 * SIGTERM or SIGINT asks the daemon to stop: `signal` aborts (with the signal's name as its
 * reason) and the work in flight finishes; a second one exits at once. The only exit outside the
 * exit code main() sets.
 */
function stopOnSignals(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`doctor: second ${name}, exiting now\n`);
      process.exit(130);
    }
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/** The one place that turns errors into exit codes and one-line messages. */
export async function main(argv: readonly string[]): Promise<void> {
  silenceDependencyWarnings();
  // Before any output: a reader that closed the pipe ends the doctor quietly (closed-output.ts).
  const output = guardOutput();
  const program = buildProgram(output);
  try {
    await program.parseAsync([...argv]);
    if (output.failure() !== undefined) process.exitCode = ExitCode.internal;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (usage errors) or the help/version text.
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    if (isDoctorError(error)) {
      process.stderr.write(`doctor: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`doctor: unexpected error: ${describeError(error)}\n`);
    if (process.env.DOCTOR_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    process.exitCode = ExitCode.internal;
  }
}
