import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LogDecoder, cutMarker, parseLogBuffer, stripControls, type LogDecodeOptions } from '../../src/core/log-frames.js';
import type { LogLine } from '../../src/core/types.js';

const framed: LogDecodeOptions = { tty: false, timestamps: false, maxLineBytes: 1024 };
const raw: LogDecodeOptions = { tty: true, timestamps: false, maxLineBytes: 1024 };

/** One multiplexed frame, as the engine writes it: `[stream, 0, 0, 0, size BE]` then the payload. */
function frame(stream: number, payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function texts(lines: readonly LogLine[]): string[] {
  return lines.map((line) => `${line.stream}:${line.text}`);
}

function decodeInPieces(bytes: Uint8Array, options: LogDecodeOptions, pieceSize: number): LogLine[] {
  const decoder = new LogDecoder(options);
  const lines: LogLine[] = [];
  for (let at = 0; at < bytes.length; at += pieceSize) lines.push(...decoder.push(bytes.subarray(at, at + pieceSize)));
  lines.push(...decoder.end());
  return lines;
}

describe('parseLogBuffer: multiplexed (non-TTY) logs', () => {
  const cases: Array<{ name: string; bytes: Buffer; want: string[] }> = [
    {
      name: 'one line per frame on both streams',
      bytes: Buffer.concat([frame(1, 'listening on :8080\n'), frame(2, 'Error: boom\n')]),
      want: ['stdout:listening on :8080', 'stderr:Error: boom'],
    },
    {
      name: 'a line spanning frames is one line',
      bytes: Buffer.concat([frame(1, 'hel'), frame(1, 'lo wor'), frame(1, 'ld\n')]),
      want: ['stdout:hello world'],
    },
    {
      name: 'a frame holding many lines',
      bytes: frame(1, 'a\nb\nc\n'),
      want: ['stdout:a', 'stdout:b', 'stdout:c'],
    },
    {
      name: 'partial lines are kept per stream when streams interleave',
      bytes: Buffer.concat([frame(1, 'out-'), frame(2, 'err-'), frame(1, 'line\n'), frame(2, 'line\n')]),
      want: ['stdout:out-line', 'stderr:err-line'],
    },
    {
      name: 'stdin (0) reads as stdout, the engine error stream (3) as stderr',
      bytes: Buffer.concat([frame(0, 'typed\n'), frame(3, 'engine error\n')]),
      want: ['stdout:typed', 'stderr:engine error'],
    },
    {
      name: 'an empty frame is skipped',
      bytes: Buffer.concat([frame(1, ''), frame(1, 'x\n')]),
      want: ['stdout:x'],
    },
    {
      name: 'the last line without a newline is returned at the end',
      bytes: Buffer.concat([frame(1, 'done\n'), frame(2, 'no newline')]),
      want: ['stdout:done', 'stderr:no newline'],
    },
    {
      name: 'a truncated frame returns what arrived',
      bytes: frame(1, 'complete\ntrunc').subarray(0, 8 + 'complete\ntru'.length),
      want: ['stdout:complete', 'stdout:tru'],
    },
    {
      name: 'a truncated trailing header is dropped without error',
      bytes: Buffer.concat([frame(1, 'a\n'), Buffer.from([1, 0, 0])]),
      want: ['stdout:a'],
    },
    {
      name: 'bytes that are not framed are read raw (a TTY container misreported)',
      bytes: Buffer.from('plain text\nsecond\n'),
      want: ['stdout:plain text', 'stdout:second'],
    },
    {
      name: 'a stream shorter than a header is read raw',
      bytes: Buffer.from('ok'),
      want: ['stdout:ok'],
    },
  ];
  for (const { name, bytes, want } of cases) {
    test(name, () => {
      assert.deepEqual(texts(parseLogBuffer(bytes, framed)), want);
    });
    test(`${name} (fed one byte at a time)`, () => {
      assert.deepEqual(texts(decodeInPieces(bytes, framed, 1)), want);
    });
  }
});

describe('parseLogBuffer: raw (TTY) logs and text cleanup', () => {
  const cases: Array<{ name: string; bytes: Uint8Array; want: string[] }> = [
    { name: 'CRLF ends a line', bytes: Buffer.from('one\r\ntwo\r\n'), want: ['one', 'two'] },
    { name: 'a lone CR starts a new line (progress bars)', bytes: Buffer.from('10%\r50%\r100%\n'), want: ['10%', '50%', '100%'] },
    { name: 'a blank CRLF line stays a blank line', bytes: Buffer.from('a\r\n\r\nb\r\n'), want: ['a', '', 'b'] },
    { name: 'ANSI colours are stripped', bytes: Buffer.from('\x1b[31mERROR\x1b[0m \x1b[1;33mdisk\x1b[m full\n'), want: ['ERROR disk full'] },
    { name: 'OSC titles and hyperlinks are stripped', bytes: Buffer.from('\x1b]0;title\x07see \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n'), want: ['see link'] },
    { name: 'NUL and other controls are removed, tabs stay', bytes: Buffer.from('a\x00b\x07c\td\n'), want: ['abc\td'] },
    { name: 'invalid UTF-8 becomes replacement characters', bytes: Uint8Array.from([0x6f, 0x6b, 0xff, 0xc3, 0x28, 0x0a]), want: ['ok\ufffd\ufffd('] },
    { name: 'valid multi-byte UTF-8 survives', bytes: Buffer.from('naïve café 日本 🚀\n'), want: ['naïve café 日本 🚀'] },
  ];
  for (const { name, bytes, want } of cases) {
    test(name, () => {
      assert.deepEqual(
        parseLogBuffer(bytes, raw).map((line) => line.text),
        want,
      );
    });
  }

  test('binary junk decodes to bounded lines without control characters, framed or raw', () => {
    const junk = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 131 + ((i >> 7) ^ 0x5a)) % 256);
    for (const options of [raw, framed, { ...framed, timestamps: true }]) {
      const lines = parseLogBuffer(junk, { ...options, maxLineBytes: 256 });
      assert.ok(lines.length > 0);
      for (const line of lines) {
        assert.doesNotMatch(line.text, /[\x00-\x08\x0b-\x1f\x7f]/);
        assert.ok(line.text.length <= 256 + cutMarker(64 * 1024).length);
      }
    }
  });

  test('multi-byte UTF-8 split across chunks decodes whole', () => {
    const bytes = Buffer.from('日本語のログ\n');
    for (let size = 1; size <= 4; size++) {
      assert.deepEqual(
        decodeInPieces(bytes, raw, size).map((line) => line.text),
        ['日本語のログ'],
        `pieces of ${size}`,
      );
    }
  });

  test('stripControls leaves plain text alone', () => {
    assert.equal(stripControls('plain [error] text'), 'plain [error] text');
  });
});

describe('long lines', () => {
  test('a 1 MB line keeps its first and last maxLineBytes / 2 with a marker naming what was cut between', () => {
    const long = 'x'.repeat(1024 * 1024);
    const bytes = Buffer.concat([frame(2, `ERROR ${long}`), frame(2, '\nnext\n')]);
    const lines = parseLogBuffer(bytes, { tty: false, timestamps: false, maxLineBytes: 100 });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.text, `ERROR ${'x'.repeat(44)}${cutMarker(6 + long.length - 100)}${'x'.repeat(50)}`);
    assert.equal(lines[1]!.text, 'next');
  });

  test('an error at the end of a 70 kB line is kept (a payload or a dump before it), framed, chunked or raw', () => {
    const line = `{"event":"sync","payload":"${'p'.repeat(70_000)}"} FATAL: could not write block 7 of relation base/16384: No space left on device`;
    const bytes = Buffer.concat([frame(2, line.slice(0, 30_000)), frame(2, `${line.slice(30_000)}\n`)]);
    const options = { tty: false, timestamps: false, maxLineBytes: 16 * 1024 };
    for (const lines of [parseLogBuffer(bytes, options), decodeInPieces(bytes, options, 777)]) {
      assert.equal(lines.length, 1);
      assert.match(lines[0]!.text, /^\{"event":"sync"/);
      assert.match(lines[0]!.text, /FATAL: could not write block 7 of relation base\/16384: No space left on device$/);
      assert.ok(lines[0]!.text.length <= 16 * 1024 + cutMarker(line.length).length);
    }
  });

  test('a 1 MB line fed in small chunks gives the same result', () => {
    const bytes = Buffer.from(`${'y'.repeat(1024 * 1024)}\nafter\n`);
    const options = { tty: true, timestamps: false, maxLineBytes: 64 };
    assert.deepEqual(decodeInPieces(bytes, options, 1000), parseLogBuffer(bytes, options));
  });

  test('the cut does not split a UTF-8 character', () => {
    const lines = parseLogBuffer(Buffer.from(`ab${'é'.repeat(10)}\n`), { tty: true, timestamps: false, maxLineBytes: 5 });
    // The head is 3 bytes: 'ab' and half an 'é', which goes; the tail is the last 2 bytes, one 'é'.
    assert.equal(lines[0]!.text, `ab${cutMarker(18)}é`);
    const odd = parseLogBuffer(Buffer.from(`${'é'.repeat(10)}zz\n`), { tty: true, timestamps: false, maxLineBytes: 6 });
    // The tail's last 3 bytes begin inside an 'é': it starts at the next character.
    assert.equal(odd[0]!.text, `é${cutMarker(18)}zz`);
  });

  test('an unterminated long line is cut at the end of the stream', () => {
    const lines = parseLogBuffer(Buffer.from('z'.repeat(5000)), { tty: true, timestamps: false, maxLineBytes: 10 });
    assert.deepEqual(
      lines.map((line) => line.text),
      [`zzzzz${cutMarker(4990)}zzzzz`],
    );
  });
});

describe('timestamps', () => {
  const stamped: LogDecodeOptions = { tty: false, timestamps: true, maxLineBytes: 1024 };

  test('the RFC 3339 stamp Docker prefixes is moved into ts', () => {
    const lines = parseLogBuffer(frame(1, '2025-03-01T10:00:00.123456789Z server started\n'), stamped);
    assert.deepEqual(lines, [{ stream: 'stdout', text: 'server started', ts: '2025-03-01T10:00:00.123456789Z' }]);
  });

  test('a stamp with an offset is recognised', () => {
    const lines = parseLogBuffer(Buffer.from('2025-03-01T10:00:00.1+02:00 hi\r\n'), { ...stamped, tty: true });
    assert.deepEqual(lines, [{ stream: 'stdout', text: 'hi', ts: '2025-03-01T10:00:00.1+02:00' }]);
  });

  test('a line without a stamp has no ts', () => {
    const lines = parseLogBuffer(frame(1, 'no stamp here\n'), stamped);
    assert.deepEqual(lines, [{ stream: 'stdout', text: 'no stamp here' }]);
  });

  test('a long line split into several messages loses the stamps in its middle', () => {
    const bytes = Buffer.concat([
      frame(1, '2025-03-01T10:00:00.000000001Z first half '),
      frame(1, '2025-03-01T10:00:00.000000002Z second half\n'),
    ]);
    const want = [{ stream: 'stdout', text: 'first half second half', ts: '2025-03-01T10:00:00.000000001Z' }];
    assert.deepEqual(parseLogBuffer(bytes, stamped), want);
    for (const size of [1, 3, 7, 40]) assert.deepEqual(decodeInPieces(bytes, stamped, size), want, `pieces of ${size}`);
  });

  test('a continuation frame that does not start with a stamp is kept whole', () => {
    const bytes = Buffer.concat([frame(1, '2025-03-01T10:00:00Z a '), frame(1, 'b c\n')]);
    assert.deepEqual(
      parseLogBuffer(bytes, stamped).map((line) => line.text),
      ['a b c'],
    );
  });
});
