/**
 * Usage errors: the program rejects its command line. The command and arguments are part of the
 * container (`Config.Cmd`, `Config.Entrypoint`), so every start passes the same ones.
 */
import { lead, quoteHit, unfixable, type CatalogEntry, type RuleContext, type RuleMatch } from './rule-kit.js';
import { findLastLine } from '../evidence-text.js';

/**
 * How argument parsers reject a command line: Go's flag and cobra/pflag, Python's argparse and
 * click, Rust's clap (2.x and 4.x), getopt, Java's picocli and commons-cli, Node's commander and
 * yargs.
 */
const USAGE_ERROR = new RegExp(
  [
    String.raw`flag provided but not defined`,
    String.raw`unknown (?:flag|shorthand flag|option|argument|switch)\b[: ]`,
    String.raw`\bunknown command "[^"]+" for "`,
    String.raw`unrecogni[sz]ed (?:option|argument|arguments|command|parameter)s?\b`,
    String.raw`Unrecognized VM option`,
    String.raw`\bNo such (?:option|command)\b`,
    String.raw`\bGot unexpected extra arguments?\b`,
    String.raw`\bMissing (?:option|argument|parameter) ['"]`,
    String.raw`\bInvalid value for ['"]?-`,
    String.raw`\berror: (?:argument [^:]+: )?invalid choice\b`,
    String.raw`\bthe following arguments are required\b`,
    String.raw`\berror: unexpected argument '[^']+' found`,
    String.raw`\bFound argument '[^']+' which wasn't expected`,
    String.raw`\binvalid option -- `,
    String.raw`\boption (?:'[^']+' )?requires an argument\b`,
    String.raw`\b(?:Unknown|Unmatched) (?:option|argument)s?: `,
    String.raw`\bMissing required (?:option|argument|parameter)s?: `,
  ].join('|'),
  'i',
);

/** A parser's usage banner: `Usage: app [OPTIONS]`, argparse's `usage: app.py`, Go's `Usage of app:`. */
const USAGE_BANNER = /^\s*(?:usage: \S|Usage of \S+:$)/i;

/**
 * Exit 2 is the usage-error code of argparse, click, Go's flag package and the shells' builtins;
 * 64 is sysexits' EX_USAGE. Go also exits 2 on a panic, which prints `panic:` and no banner.
 */
const USAGE_EXIT_CODES = new Set([2, 64]);

/** Parsers print the error and the usage, then exit: it is among the last lines (a warning long before is not it). */
const USAGE_TAIL_LINES = 15;

function usageHit(ctx: RuleContext): RuleMatch | undefined {
  if (!ctx.exited || ctx.exitCode === 0) return undefined;
  const lines = ctx.lines.slice(-USAGE_TAIL_LINES);
  const hit = findLastLine(lines, USAGE_ERROR);
  if (hit) return { line: hit.line };
  if (ctx.exitCode === null || !USAGE_EXIT_CODES.has(ctx.exitCode)) return undefined;
  if (ctx.lines.some((l) => /^panic: |goroutine \d+ \[/.test(l))) return undefined;
  const banner = findLastLine(lines, USAGE_BANNER);
  return banner ? { line: banner.line } : undefined;
}

/** The option or argument the line names, when it names one. */
function namedArgument(line: string): string | undefined {
  return line.match(/(?:^|[\s'"`(=:])(--?[A-Za-z][\w-]*)/)?.[1];
}

export const usageError: CatalogEntry = {
  id: 'usage-error',
  failureClass: 'environment',
  // The command line is part of the container: a restart passes the same arguments again.
  restartCannotFix: true,
  settled: true,
  match: usageHit,
  build(ctx, found) {
    const arg = found.line ? namedArgument(found.line) : undefined;
    const banner = found.line !== undefined && USAGE_BANNER.test(found.line);
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it rejected its command line${arg ? ` (${arg})` : ''}: ${banner ? 'it printed its usage and exited, which argument parsers do when an option or argument is wrong or missing' : 'an unknown, misspelled or missing option or argument'}. The command is part of the container, so every start passes the same one.${quoteHit(found)}`,
      suggested_fix: `Correct the command${arg ? ` (${arg})` : ''} in the container's definition (compose command:/entrypoint:, the docker run arguments, or the image's CMD); check the spelling against the program's --help for the image's version, then re-create the container.`,
      config_suggestions: ['Run the image with its command once in CI (docker run --rm IMAGE CMD --help) after upgrading it: options get renamed between versions.'],
    });
  },
};
