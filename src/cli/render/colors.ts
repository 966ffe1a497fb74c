import { Chalk, supportsColor, type ChalkInstance } from 'chalk';
import type { Severity } from '../../core/types.js';

/**
 * Colours for people: off when NO_COLOR is set (chalk ignores it on its own, see no-color.org),
 * when the stream is not a terminal, or when FORCE_COLOR=0.
 */
export function colorsFor(stream: NodeJS.WriteStream): ChalkInstance {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  if (noColor) return new Chalk({ level: 0 });
  if (process.env.FORCE_COLOR !== undefined) return new Chalk();
  const level = stream.isTTY && supportsColor ? supportsColor.level : 0;
  return new Chalk({ level });
}

export function paintSeverity(c: ChalkInstance, severity: Severity): string {
  if (severity === 'high') return c.red.bold(severity.toUpperCase());
  if (severity === 'medium') return c.yellow(severity.toUpperCase());
  return c.dim(severity.toUpperCase());
}
