import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_ERROR_PATTERNS,
  PYTHON_DOCTOR_PATTERNS,
  compileDetector,
  parseJsonLevel,
  parseTextLevel,
} from '../../src/core/error-patterns.js';
import type { LogLine } from '../../src/core/types.js';

const detector = compileDetector();

function out(text: string): LogLine {
  return { stream: 'stdout', text };
}
function err(text: string): LogLine {
  return { stream: 'stderr', text };
}

describe('isErrorLine: the false positives users complained about', () => {
  const quiet = [
    '0 errors',
    'error_count=0',
    'errors: 0',
    'retrying... succeeded',
    'Connection refused, retrying... succeeded',
    'no errors found',
    'completed without error',
    'error rate 0.0%',
    'failed=0',
    '0 failed',
    'timeout=30s',
    'starting with --on-error=continue',
    'INFO error handler registered',
    'error handler registered',
    'ErrorBoundary caught nothing',
    '"GET /api/errors HTTP/1.1" 200 512',
    '{"level":"info","msg":"connection refused by peer, will retry"}',
    '{"status":"ok","error":null,"errors":[]}',
    'skilled workers: 8',
    'Hispanic heritage month banner',
    'logger.error is configured',
    'non-fatal: optional feature disabled',
    'written to /var/log/nginx/error.log',
  ];
  for (const line of quiet) {
    test(JSON.stringify(line), () => assert.equal(detector.isErrorLine(line), null));
  }
});

describe('isErrorLine: errors and the vocabulary entry reported', () => {
  const cases: Array<[line: string, pattern: string]> = [
    ['Error: connect ECONNREFUSED 127.0.0.1:5432', 'connection refused'],
    ['TypeError: Cannot read properties of undefined', 'error'],
    ['java.lang.NullPointerException', 'exception'],
    ['java.lang.OutOfMemoryError: Java heap space', 'out of memory'],
    ['java.net.SocketTimeoutException: Read timed out', 'timeout'],
    ['Traceback (most recent call last):', 'traceback'],
    ['panic: runtime error: index out of range', 'panic'],
    ['Segmentation fault (core dumped)', 'segmentation fault'],
    ['Killed', 'killed'],
    ['java invoked oom-killer: gfp_mask=0x100cca', 'oomkiller'],
    ['OSError: [Errno 28] No space left on device', 'no space left on device'],
    ['listen tcp :8080: bind: address already in use', 'address already in use'],
    ['open /etc/app.yaml: no such file or directory', 'no such file'],
    ['mkdir /data: permission denied', 'permission denied'],
    ['upstream timed out (110: Connection timed out)', 'timeout'],
    ['3 tests failed', 'failed'],
    ['ERROR [main] payment service unavailable', 'error'],
    ['[2025-03-01 10:00:05 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:8)', 'timeout'],
    ['CRITICAL worker lost', 'level:CRITICAL'],
    ['E0301 10:00:05.123456 1 main.go:42] lost leadership', 'level:E'],
    ['{"level":50,"msg":"db down"}', 'level:50'],
    ['{"level":"ERROR","msg":"db down"}', 'level:ERROR'],
    ['{"severity":"CRITICAL","message":"x"}', 'level:CRITICAL'],
    ['{"log":{"level":"fatal"},"message":"x"}', 'level:fatal'],
    ['time="2025-03-01T10:00:05Z" level=error msg="sync"', 'error'],
    ['t=2025-03-01T10:00:05Z lvl=crit msg="disk"', 'level:crit'],
    ['fail: Microsoft.AspNetCore.Server.Kestrel[13]', 'level:fail'],
    ['<2>critical condition', 'level:<2>'],
    ['INFO panic: assignment to entry in nil map', 'panic'],
    ['{"level":"warn","msg":"upstream connection refused"}', 'connection refused'],
  ];
  for (const [line, pattern] of cases) {
    test(JSON.stringify(line), () => assert.equal(detector.isErrorLine(line), pattern));
  }
});

describe('levels', () => {
  const text: Array<[line: string, level: string | null]> = [
    ['2025-03-01 10:00:05.123  INFO 1 --- [main] o.s.Boot : Started', 'info'],
    ['2025-03-01 10:00:05.123 ERROR 1 --- [main] o.s.Boot : Failed', 'error'],
    ['2025-03-01 10:00:05.123 UTC [1] LOG:  checkpoint starting', 'info'],
    ['2025-03-01 10:00:05.123 UTC [1] FATAL:  role "x" does not exist', 'error'],
    ['2025/03/01 10:00:05 [warn] 1#1: conflicting server name', 'warn'],
    ['2025-03-01T10:00:05.123456Z 0 [Note] [MY-010120] [Server] ready', 'info'],
    ['[2025-03-01 10:00:05,123: ERROR/MainProcess] consumer: Cannot connect', 'error'],
    ['I, [2025-03-01T10:00:05.123456 #1]  INFO -- : Completed 200 OK', 'info'],
    ['F, [2025-03-01T10:00:05.123456 #1] FATAL -- : boom', 'error'],
    ['1:M 01 Mar 2025 10:00:05.123 # WARNING overcommit_memory is set to 0', 'warn'],
    ['1:M 01 Mar 2025 10:00:05.123 * Ready to accept connections', 'info'],
    ['info: Microsoft.Hosting.Lifetime[0]', 'info'],
    ['npm ERR! code ELIFECYCLE', 'error'],
    ['just a message with no level', null],
    [`a message that goes on ${'and on '.repeat(15)}and mentions ERROR well past any prefix a logger writes`, null],
  ];
  for (const [line, level] of text) {
    test(`text: ${line}`, () => assert.equal(parseTextLevel(line)?.level ?? null, level));
  }
  const json: Array<[line: string, level: string | null]> = [
    ['{"level":30,"msg":"x"}', 'info'],
    ['{"level":40,"msg":"x"}', 'warn'],
    ['{"level":60,"msg":"x"}', 'error'],
    ['{"levelname":"WARNING","message":"x"}', 'warn'],
    ['{"log.level":"info","message":"x"}', 'info'],
    ['{"@l":"Error","@m":"x"}', 'error'],
    ['{"t":{"$date":"2025-03-01T10:00:05Z"},"s":"I","msg":"x"}', 'info'],
    ['{"s":"hello","level":"error"}', 'error'],
    ['{"msg":"\\"level\\":\\"error\\" inside a string"}', null],
    ['{"msg":"no level"}', null],
  ];
  for (const [line, level] of json) {
    test(`json: ${line}`, () => assert.equal(parseJsonLevel(line)?.level ?? null, level));
  }
});

describe('detect: traces and batches', () => {
  test('a Python traceback yields its header and its exception line, not its frames', () => {
    const lines = [
      'Starting worker',
      'Traceback (most recent call last):',
      '  File "/app/main.py", line 10, in <module>',
      '    main()',
      '  File "/app/main.py", line 5, in main',
      '    raise ConnectionError("db down")',
      'KeyboardInterrupt',
      'next line',
    ].map(err);
    assert.deepEqual(
      detector.detect(lines).map((finding) => [finding.line, finding.pattern]),
      [
        ['Traceback (most recent call last):', 'traceback'],
        ['KeyboardInterrupt', 'traceback'],
      ],
    );
  });

  test('chained Python tracebacks each end in a finding', () => {
    const lines = [
      'Traceback (most recent call last):',
      '  File "a.py", line 1, in <module>',
      'KeyError: \'id\'',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "a.py", line 3, in <module>',
      'ValueError: bad id',
    ].map(err);
    assert.deepEqual(
      detector.detect(lines).map((finding) => finding.line),
      [
        'Traceback (most recent call last):',
        "KeyError: 'id'",
        'During handling of the above exception, another exception occurred:',
        'Traceback (most recent call last):',
        'ValueError: bad id',
      ],
    );
  });

  test('Java and Node frames are context, "Caused by" is a finding', () => {
    const lines = [
      'Exception in thread "main" java.lang.IllegalStateException: Failed to load ApplicationContext',
      '\tat org.springframework.test.context.DefaultCacheAwareContextLoaderDelegate.loadContext(DefaultCacheAwareContextLoaderDelegate.java:98)',
      '\tat com.acme.ErrorHandler.handleFailedRequest(ErrorHandler.java:12)',
      'Caused by: java.net.ConnectException: Connection refused',
      '\t... 42 more',
      'Error: boom',
      '    at failingTimeout (/app/errors.js:1:2)',
      '    at async Promise.all (index 0)',
      '    at /app/node_modules/crash-handler/index.js:3:9',
      '  at 10:00 the nightly job failed',
    ].map(err);
    assert.deepEqual(
      detector.detect(lines).map((finding) => finding.pattern),
      ['exception', 'connection refused', 'error', 'failed'],
    );
  });

  test('findings keep their stream and Docker timestamp', () => {
    const findings = detector.detect([
      { stream: 'stderr', text: 'fatal error: out of memory', ts: '2025-03-01T10:00:05.000000001Z' },
      { stream: 'stdout', text: 'Killed' },
    ]);
    assert.deepEqual(findings, [
      { line: 'fatal error: out of memory', stream: 'stderr', pattern: 'out of memory', ts: '2025-03-01T10:00:05.000000001Z' },
      { line: 'Killed', stream: 'stdout', pattern: 'killed' },
    ]);
  });

  test('a transient error followed by a recovery line is still a finding, marked recovered', () => {
    const findings = detector.detect([
      out('WARN could not connect to db:5432: connection refused, retrying in 1s'),
      out('Reconnected to db:5432'),
      out('ERROR payment failed: card declined'),
    ]);
    assert.deepEqual(
      findings.map((finding) => [finding.pattern, finding.recovered ?? false]),
      [
        ['connection refused', true],
        ['failed', false],
      ],
    );
  });

  test('an empty batch and blank lines yield nothing', () => {
    assert.deepEqual(detector.detect([]), []);
    assert.deepEqual(detector.detect([out(''), out('   '), out('\t')]), []);
  });
});

describe('vocabulary', () => {
  test('the default vocabulary starts with the Python doctor list', () => {
    assert.deepEqual(DEFAULT_ERROR_PATTERNS.slice(0, PYTHON_DOCTOR_PATTERNS.length), PYTHON_DOCTOR_PATTERNS);
    assert.deepEqual(compileDetector().patterns, DEFAULT_ERROR_PATTERNS);
  });

  test('ERROR_PATTERNS replaces the words; levels still count', () => {
    const custom = compileDetector([' Deadline Exceeded ', 'E_BADTHING', '[boom]']);
    assert.deepEqual(custom.patterns, ['deadline exceeded', 'e_badthing', '[boom]']);
    const cases: Array<[string, string | null]> = [
      ['rpc error: code = DeadlineExceeded desc = context deadline exceeded', 'deadline exceeded'],
      ['got E_BADTHING from driver', 'e_badthing'],
      ['something [BOOM] happened', '[boom]'],
      ['connection refused', null],
      ['Killed', null],
      ['{"level":"error","msg":"x"}', 'level:error'],
      ['ERROR something', 'level:ERROR'],
    ];
    for (const [line, pattern] of cases) assert.equal(custom.isErrorLine(line), pattern, line);
  });

  test('regex characters in patterns are literal', () => {
    const custom = compileDetector(['a.b(c)*']);
    assert.equal(custom.isErrorLine('saw a.b(c)* here'), 'a.b(c)*');
    assert.equal(custom.isErrorLine('saw aXb(c) here'), null);
  });

  test('a huge line full of matches is judged without trouble', () => {
    const line = 'error '.repeat(20_000);
    assert.equal(detector.isErrorLine(line), 'error');
    assert.equal(detector.isErrorLine(`0 errors ${'x'.repeat(100_000)}`), null);
  });
});

describe('isErrorLine: noise of popular images and advice about what could happen', () => {
  const quiet: string[] = [
    // grafana/grafana#5079: the plugin version check behind a firewall.
    '2016/05/18 09:54:01 [T] Failed to get plugins repo from grafana.net, Get https://grafana.net/api/plugins/versioncheck?slugIn=&grafanaVersion=3.0.1: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
    'level=error msg="update check failed" error="dial tcp: lookup api.github.com: no such host"',
    // docker-library/mongo#488: host tunables a container may not read.
    '{"t":{"$date":"2021-07-22T16:17:00.791+00:00"},"s":"W",  "c":"CONTROL",  "id":22202,   "ctx":"initandlisten","msg":"Failed to read /sys/kernel/mm/transparent_hugepage/enabled","attr":{"error":"Failed to probe \\"/sys/kernel/mm/transparent_hugepage\\": Permission denied"}}',
    // The official nginx image's IPv6 helper.
    '10-listen-on-ipv6-by-default.sh: error: /etc/nginx/conf.d/default.conf differs from the packaged version',
    // redis/docker-library-redis#346: what may happen, not what did.
    'WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can also cause failures without low memory condition.',
    'Retries are disabled, so a slow dependency could cause errors for callers',
  ];
  for (const line of quiet) test(JSON.stringify(line.slice(0, 70)), () => assert.equal(detector.isErrorLine(line), null));

  const loud: Array<[line: string, pattern: string]> = [
    // A full disk at postgres' LOG level still refuses every new connection (puckel/docker-airflow#448).
    ['postgres_1   | LOG:  could not fork new process for connection: No space left on device', 'no space left on device'],
    // Noise shapes never hide words that are always errors.
    ['update check: panic: runtime error: index out of range', 'panic'],
    // The same words about something that did fail.
    ['Failed to read /app/config.yml: permission denied', 'permission denied'],
  ];
  for (const [line, pattern] of loud) test(JSON.stringify(line.slice(0, 70)), () => assert.equal(detector.isErrorLine(line), pattern));
});
