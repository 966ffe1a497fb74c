import { createReadStream } from 'node:fs';

/**
 * The lines of a text file, read as a stream: what `readline.createInterface({ input, crlfDelay:
 * Infinity })` yields (a break is `\n`, `\r\n` or a lone `\r`; no empty last line after a final
 * break), without node:readline, whose import a watch paid for lines it reads only at start. (On
 * Node 24 node:fs/promises itself loads readline's internals and the REPL's history module, so
 * there the saving is the public module alone: docs/scale.md.)
 */
export async function* fileLines(file: string): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8' }) as AsyncIterable<string>) {
    pending += chunk;
    const breaks = /\r\n|\n|\r/g;
    let from = 0;
    for (let m = breaks.exec(pending); m; m = breaks.exec(pending)) {
      // A `\r` ending the chunk may be the first half of `\r\n`: wait for the next chunk.
      if (m[0] === '\r' && m.index === pending.length - 1) break;
      yield pending.slice(from, m.index);
      from = m.index + m[0].length;
    }
    pending = pending.slice(from);
  }
  if (pending.endsWith('\r')) pending = pending.slice(0, -1);
  if (pending.length > 0) yield pending;
}
