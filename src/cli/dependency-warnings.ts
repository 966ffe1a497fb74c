/**
 * Known, harmless warnings from dependencies that would otherwise reach the person's terminal.
 *
 * docker-modem builds a request URL for ssh:// engines with the legacy `url` API
 * (`url.format({ protocol: 'ssh', ... })` gives `ssh:host:port`, which `url.resolve` then calls
 * invalid: DEP0170). The URL is never dialled (requests go through the ssh2 channel), so the
 * warning says nothing to the person; it is dropped, and only for ssh: URLs.
 */
export function silenceDependencyWarnings(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const message = typeof warning === 'string' ? warning : warning.message;
    const options = rest[0];
    const code = typeof options === 'object' && options !== null ? (options as { code?: string }).code : rest[1];
    if (code === 'DEP0170' && /The URL ssh:/.test(message)) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
