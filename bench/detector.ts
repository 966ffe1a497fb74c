/**
 * Micro-benchmark of the detector alone (issue 5: at least 100 MB/s of mixed realistic log text
 * on one core). Generates about 50 MB of lines once, from the formats containers really write
 * (access logs, JSON loggers, Spring, Postgres, Go, Python, Rails, klog), about one in twenty of
 * them an error, then times `detect` over all of them several times.
 *
 * Run alone: `node --import tsx bench/detector.ts`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { compileDetector } from '../src/core/error-patterns.js';
import { parseLogBuffer } from '../src/core/log-frames.js';
import type { LogLine } from '../src/core/types.js';

/** One benchmark's result: throughput per trial, in MB (10^6 bytes of UTF-8) per second. */
export interface DetectorBenchResult {
  readonly name: string;
  readonly megabytes: number;
  readonly lines: number;
  readonly findings: number;
  readonly mbPerSecond: number[];
  /** Decoding framed bytes into lines, for comparison (not part of the detector figure). */
  readonly decodeMbPerSecond: number[];
}

const ordinary: Array<(n: number) => string> = [
  (n) => `172.18.0.${n % 250} - - [01/Mar/2025:10:${pad(n % 60)}:${pad(n % 59)} +0000] "GET /api/v1/orders/${n} HTTP/1.1" 200 ${512 + (n % 4000)} "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"`,
  (n) => `10.0.3.${n % 200} - - [01/Mar/2025:10:00:${pad(n % 60)} +0000] "POST /api/errors/report HTTP/1.1" 204 0 "https://shop.example.com/checkout" "okhttp/4.12.0"`,
  (n) => `{"level":30,"time":${1740823200000 + n},"pid":1,"hostname":"api-7d4b9c8f6-x2k9p","reqId":"req-${n.toString(36)}","res":{"statusCode":200},"responseTime":${n % 90}.4,"msg":"request completed"}`,
  (n) => `{"level":"info","ts":"2025-03-01T10:00:${pad(n % 60)}.${n % 1000}Z","caller":"server/handler.go:${n % 400}","msg":"handled request","method":"GET","path":"/healthz","status":200,"duration":"${n % 9}.2ms"}`,
  (n) => `2025-03-01T10:00:${pad(n % 60)}.123Z  INFO 1 --- [nio-8080-exec-${n % 10}] c.e.shop.web.OrderController        : Order ${n} created for customer ${n * 7}, total 42.${n % 100} EUR`,
  (n) => `2025-03-01 10:00:${pad(n % 60)}.${n % 1000} UTC [${n % 90}] LOG:  checkpoint complete: wrote ${n % 300} buffers (1.${n % 9}%); 0 WAL file(s) added, 0 removed, 1 recycled`,
  (n) => `time="2025-03-01T10:00:${pad(n % 60)}Z" level=info msg="worker processed batch" batch=${n} items=${n % 500} errors=0 duration=${n % 900}ms`,
  (n) => `I0301 10:00:${pad(n % 60)}.${n % 1000000} 1 controller.go:${n % 300}] "Reconciling" deployment="default/web-${n % 20}" generation=${n % 7}`,
  (n) => `INFO:     172.18.0.${n % 250}:${40000 + (n % 20000)} - "GET /items/${n} HTTP/1.1" 200 OK`,
  (n) => `I, [2025-03-01T10:00:${pad(n % 60)}.${n % 1000000} #1]  INFO -- : Completed 200 OK in ${n % 80}ms (Views: ${n % 30}.1ms | ActiveRecord: ${n % 20}.4ms | Allocations: ${n % 9000})`,
  (n) => `1:M 01 Mar 2025 10:00:${pad(n % 60)}.${n % 1000} * ${n % 100} changes in 300 seconds. Saving...`,
  (n) => `[2025-03-01 10:00:${pad(n % 60)},${n % 1000}] INFO [Log partition=orders-${n % 12}, dir=/var/lib/kafka/data] Rolled new log segment at offset ${n * 13} in ${n % 9} ms. (kafka.log.LocalLog)`,
  (n) => `2025/03/01 10:00:${pad(n % 60)} cache warm-up finished: ${n % 10000} keys loaded in ${n % 999}ms, 0 errors, timeout=30s`,
  (n) => `[2025-03-01 10:00:${pad(n % 60)} +0000] [1] [INFO] Booting worker with pid: ${n % 30000}`,
];

const errors: Array<(n: number) => string> = [
  (n) => `2025/03/01 10:00:${pad(n % 60)} [error] 29#29: *${n} connect() failed (111: Connection refused) while connecting to upstream, client: 172.18.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://172.18.0.5:8080/"`,
  (n) => `{"level":50,"time":${1740823200000 + n},"pid":1,"hostname":"api","err":{"type":"Error","message":"connect ECONNREFUSED 10.0.0.7:5432"},"msg":"db query failed"}`,
  (n) => `2025-03-01 10:00:${pad(n % 60)}.${n % 1000} UTC [${n % 90}] FATAL:  remaining connection slots are reserved for non-replication superuser connections`,
  () => `Traceback (most recent call last):`,
  (n) => `psycopg2.OperationalError: could not connect to server: Connection refused (attempt ${n % 5})`,
  () => `java.lang.OutOfMemoryError: Java heap space`,
  (n) => `panic: runtime error: invalid memory address or nil pointer dereference [recovered] goroutine ${n % 100}`,
];

/** About `targetBytes` of lines, one error in twenty, deterministic. */
export function generateMixedLog(targetBytes: number): { lines: LogLine[]; bytes: number } {
  const lines: LogLine[] = [];
  let bytes = 0;
  for (let n = 0; bytes < targetBytes; n++) {
    const error = n % 20 === 7;
    const templates = error ? errors : ordinary;
    const text = templates[(n * 7 + (n >> 5)) % templates.length]!(n);
    lines.push({ stream: error ? 'stderr' : 'stdout', text });
    bytes += Buffer.byteLength(text) + 1;
  }
  return { lines, bytes };
}

function frame(lines: readonly LogLine[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const line of lines) {
    const payload = Buffer.from(`${line.text}\n`);
    const header = Buffer.alloc(8);
    header[0] = line.stream === 'stderr' ? 2 : 1;
    header.writeUInt32BE(payload.length, 4);
    parts.push(header, payload);
  }
  return Buffer.concat(parts);
}

/** Runs the detector over ~50 MB of mixed text `trials` times; returns MB/s per trial. */
export async function benchDetector(options: { megabytes?: number; trials?: number } = {}): Promise<DetectorBenchResult> {
  const megabytes = options.megabytes ?? 50;
  const trials = options.trials ?? 5;
  const { lines, bytes } = generateMixedLog(megabytes * 1e6);
  const detector = compileDetector();
  const mbPerSecond: number[] = [];
  let findings = 0;
  detector.detect(lines.slice(0, 20_000)); // warm the JIT before timing
  for (let trial = 0; trial < trials; trial++) {
    const started = performance.now();
    findings = detector.detect(lines).length;
    const seconds = (performance.now() - started) / 1000;
    mbPerSecond.push(bytes / 1e6 / seconds);
  }
  const framed = frame(lines.slice(0, 100_000));
  const decodeMbPerSecond: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const started = performance.now();
    parseLogBuffer(framed, { tty: false, timestamps: false, maxLineBytes: 16 * 1024 });
    decodeMbPerSecond.push(framed.length / 1e6 / ((performance.now() - started) / 1000));
  }
  return { name: 'error detection (detector alone)', megabytes: bytes / 1e6, lines: lines.length, findings, mbPerSecond, decodeMbPerSecond };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function printResult(result: DetectorBenchResult): void {
  const spread = `${Math.min(...result.mbPerSecond).toFixed(0)}-${Math.max(...result.mbPerSecond).toFixed(0)}`;
  console.log(
    `${result.name}: median ${median(result.mbPerSecond).toFixed(0)} MB/s (trials ${spread}) over ${result.megabytes.toFixed(1)} MB, ` +
      `${result.lines} lines, ${result.findings} findings; decoding frames: median ${median(result.decodeMbPerSecond).toFixed(0)} MB/s`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchDetector().then(printResult, (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
