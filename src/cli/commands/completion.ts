/**
 * `doctor completion bash|zsh|fish`: a completion script generated from the program's own
 * commands and options, so it never falls out of step with them. Container names for
 * `diagnose` come from `docker ps -a` at completion time.
 */
import type { Command, Option } from 'commander';
import { ConfigError, ExitCode } from '../../core/errors.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly options: ReadonlyArray<{ readonly flags: readonly string[]; readonly description: string; readonly takesValue: boolean }>;
  /** Its first argument is a container. */
  readonly container: boolean;
}

function specOf(program: Command): CommandSpec[] {
  return program.commands.map((cmd) => ({
    name: cmd.name(),
    description: cmd.description(),
    options: [...cmd.options, helpOption()].map((o: Option | ReturnType<typeof helpOption>) => ({
      flags: [o.long, o.short].filter((f): f is string => typeof f === 'string'),
      description: o.description,
      takesValue: o.required || o.optional,
    })),
    container: cmd.registeredArguments.some((a) => a.name() === 'container'),
  }));
}

function helpOption() {
  return { long: '--help', short: '-h', description: 'display help for command', required: false, optional: false };
}

export function runCompletionCommand(program: Command, shell: string): number {
  if (!(SHELLS as readonly string[]).includes(shell)) throw new ConfigError(`completion: unknown shell "${shell}"; use bash, zsh or fish`);
  const spec = specOf(program);
  const script = shell === 'bash' ? bashScript(spec) : shell === 'zsh' ? zshScript(spec) : fishScript(spec);
  process.stdout.write(script);
  return ExitCode.ok;
}

const CONTAINERS = "docker ps -a --format '{{.Names}}' 2>/dev/null";

function bashScript(spec: readonly CommandSpec[]): string {
  const cases = spec.map((c) => {
    const valued = c.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
    const words = c.options.flatMap((o) => o.flags).join(' ');
    return [
      `    ${c.name})`,
      valued.length > 0 ? `      case "$prev" in ${valued.join('|')}) COMPREPLY=(); [ "$prev" = --env-file ] && COMPREPLY=($(compgen -f -- "$cur")); return ;; esac` : '',
      c.container ? `      if [[ "$cur" != -* ]]; then COMPREPLY=($(compgen -W "$(${CONTAINERS})" -- "$cur")); return; fi` : '',
      `      COMPREPLY=($(compgen -W "${words}" -- "$cur")) ;;`,
    ].filter(Boolean).join('\n');
  });
  return `# bash completion for doctor (container-doctor). Load it with:
#   source <(doctor completion bash)     or save it to /etc/bash_completion.d/doctor
_doctor() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${spec.map((c) => c.name).join(' ')} --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
  esac
}
complete -F _doctor doctor
`;
}

function zshQuote(text: string): string {
  return text.replace(/'/g, "'\\''").replace(/\[/g, '\\[').replace(/\]/g, '\\]').replace(/:/g, '\\:');
}

function zshScript(spec: readonly CommandSpec[]): string {
  const commands = spec.map((c) => `    '${c.name}:${zshQuote(c.description)}'`).join('\n');
  const cases = spec.map((c) => {
    const args = c.options.map((o) => {
      const names = o.flags.length > 1 ? `{${o.flags.join(',')}}` : o.flags[0]!;
      const value = o.takesValue ? (o.flags.includes('--env-file') ? ':file:_files' : ':value:') : '';
      return `'${o.flags.length > 1 ? `(${o.flags.join(' ')})` : ''}'${names}'[${zshQuote(o.description)}]${value}'`;
    });
    if (c.container) args.push(`':container:{_values container $(${CONTAINERS.replace(/'/g, '"')})}'`);
    return `    ${c.name})\n      _arguments ${args.join(' ')} ;;`;
  });
  return `#compdef doctor
# zsh completion for doctor (container-doctor). Load it with:
#   source <(doctor completion zsh)     or save it as _doctor in a directory on $fpath
_doctor() {
  local -a commands
  commands=(
${commands}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  shift words
  (( CURRENT-- ))
  case $words[1] in
${cases.join('\n')}
  esac
}
compdef _doctor doctor
`;
}

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fishScript(spec: readonly CommandSpec[]): string {
  const lines = ['complete -c doctor -f'];
  for (const c of spec) {
    lines.push(`complete -c doctor -n __fish_use_subcommand -a ${c.name} -d ${fishQuote(c.description)}`);
    for (const o of c.options) {
      const long = o.flags.find((f) => f.startsWith('--'))?.slice(2);
      const short = o.flags.find((f) => /^-[^-]/.test(f))?.slice(1);
      const parts = [`complete -c doctor -n '__fish_seen_subcommand_from ${c.name}'`];
      if (long) parts.push(`-l ${long}`);
      if (short) parts.push(`-s ${short}`);
      if (o.takesValue) parts.push(long === 'env-file' ? '-r -F' : '-r');
      parts.push(`-d ${fishQuote(o.description)}`);
      lines.push(parts.join(' '));
    }
    if (c.container) lines.push(`complete -c doctor -n '__fish_seen_subcommand_from ${c.name}' -a "(${CONTAINERS})"`);
  }
  return `# fish completion for doctor (container-doctor). Load it with:
#   doctor completion fish | source     or save it to ~/.config/fish/completions/doctor.fish
${lines.join('\n')}
`;
}
