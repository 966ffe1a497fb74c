/**
 * Micro-benchmark of redaction (issue 9: above 50 MB/s on one core). The text is the detector
 * bench's mixed realistic log lines with one line in twenty taken from the secret corpus, cut into
 * tails of 50 lines as the incident path redacts them. A baseline is measured in the same run on
 * the same tails: one global regex pass that replaces a single literal (the floor cost of any
 * regex-based redaction), so the figure can be read against the machine of the day.
 *
 * Run alone: `node --import tsx bench/redaction.ts`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createRedactor } from '../src/core/redact.js';
import { generateMixedLog } from './detector.js';

export interface RedactionBenchResult {
  readonly megabytes: number;
  readonly tails: number;
  readonly secretLines: number;
  readonly mbPerSecond: number[];
  readonly baselineMbPerSecond: number[];
}

const TAIL_LINES = 50;

function secretLines(): string[] {
  const file = new URL('../test/fixtures/redaction/secret-corpus.txt', import.meta.url);
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((row) => row.split('\t')[1]!);
}

/**
 * MB per CPU-second of this process ("on one core"): on a shared machine other processes take
 * turns on the cores, which stretches wall time but not the CPU time the work itself needs.
 */
function timeMbPerSecond(tails: readonly string[], bytes: number, fn: (t: string) => string): number {
  const started = process.cpuUsage();
  let sink = 0;
  for (const t of tails) sink += fn(t).length;
  const used = process.cpuUsage(started);
  const seconds = (used.user + used.system) / 1e6;
  if (sink < 0) throw new Error('unreachable');
  return bytes / 1e6 / seconds;
}

export function benchRedaction(options: { megabytes?: number; trials?: number } = {}): RedactionBenchResult {
  const megabytes = options.megabytes ?? 20;
  const trials = options.trials ?? 5;
  const secrets = secretLines();
  const { lines } = generateMixedLog(megabytes * 1e6);
  const texts = lines.map((l, i) => (i % 20 === 11 ? secrets[(i / 20) % secrets.length | 0]! : l.text));
  const tails: string[] = [];
  for (let i = 0; i < texts.length; i += TAIL_LINES) tails.push(texts.slice(i, i + TAIL_LINES).join('\n'));
  const bytes = tails.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const redact = createRedactor({ env: ['DB_PASSWORD=Sup3rS3cret!2024', 'API_TOKEN=itk_7Hq2Lx9Pz4Rm'] });
  const baseline = /Sup3rS3cret!2024/g;
  const floor = (t: string): string => t.replace(baseline, '[REDACTED]');
  // Warm the JIT before timing.
  for (const t of tails.slice(0, 2000)) redact(t), floor(t);
  const mbPerSecond: number[] = [];
  const baselineMbPerSecond: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    baselineMbPerSecond.push(timeMbPerSecond(tails, bytes, floor));
    mbPerSecond.push(timeMbPerSecond(tails, bytes, redact));
  }
  return { megabytes: bytes / 1e6, tails: tails.length, secretLines: Math.floor(texts.length / 20), mbPerSecond, baselineMbPerSecond };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = benchRedaction();
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  console.log(`redaction: median ${median(r.mbPerSecond).toFixed(0)} MB/s (baseline one-literal pass ${median(r.baselineMbPerSecond).toFixed(0)} MB/s) over ${r.megabytes.toFixed(1)} MB in ${r.tails} tails`);
}
