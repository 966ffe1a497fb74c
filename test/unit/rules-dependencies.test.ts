import { addressInUse, poolExhausted, dnsFailure, connectionRefused, dependencyTimeout } from '../../src/core/rules/dependencies.js';
import { MIN, SEC, ago, makeFacts, makeHistory, makeRunningFacts, makeTrigger } from '../helpers/facts.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: "Redis's bind failure names its port, not a number from the line's clock",
    facts: exited(1),
    evidence: logs('1:M 01 Dec 2026 03:12:44.120 # Warning: Could not create server TCP listening socket *:6379: bind: Address already in use'),
    expect: { rule: 'address-in-use', says: ['port 6379'] },
  },
  {
    name: 'address already in use (Go) in its own namespace after ten minutes of work: a race, restart once',
    facts: exited(1),
    evidence: logs('listen tcp :8080: bind: address already in use'),
    expect: { rule: 'address-in-use', cannotFix: false, safe: true, failureClass: 'transient', says: ['port 8080', 'own network namespace'] },
  },
  {
    name: 'nginx cannot bind port 80 in its own namespace as it starts: its own second listener, escalate naming the port',
    facts: exited(1, { startedAt: ago(7 * SEC) }),
    evidence: logs('2026/12/01 03:12:44 [emerg] 1#1: bind() to [::]:80 failed (98: Address already in use)', 'nginx: [emerg] bind() to [::]:80 failed (98: Address already in use)'),
    expect: { rule: 'address-in-use', cannotFix: true, safe: false, failureClass: 'environment', says: ['port 80', 'own network namespace', 'every start repeats it'] },
  },
  {
    name: "PHP-FPM's bind failure names port 9000, not a number from its clock, and escalates",
    facts: exited(78, { startedAt: ago(6 * SEC) }),
    evidence: logs("[01-Dec-2026 03:12:44] ERROR: unable to bind listening socket for address '9000': Address already in use (98)", '[01-Dec-2026 03:12:44] ERROR: FPM initialization failed'),
    expect: { rule: 'address-in-use', cannotFix: true, safe: false, says: ['port 9000'] },
  },
  {
    name: "Apache's make_sock names its port",
    facts: exited(1, { startedAt: ago(6 * SEC) }),
    evidence: logs('(98)Address already in use: AH00072: make_sock: could not bind to address [::]:8080'),
    expect: { rule: 'address-in-use', cannotFix: true, says: ['port 8080'] },
  },
  {
    name: 'address in use with network_mode: host: the holder is on the host',
    facts: exited(1, { networkMode: 'host' }),
    evidence: logs('listen tcp 127.0.0.1:10000: bind: address already in use'),
    expect: { rule: 'address-in-use', cannotFix: true, safe: false, failureClass: 'host', says: ['port 10000', 'network mode host'] },
  },
  {
    name: "address in use in another container's namespace (compose network_mode: service:x)",
    facts: exited(1, { networkMode: 'container:4f1c0a9b2d3e' }),
    evidence: logs('Error: listen EADDRINUSE: address already in use :::3000'),
    expect: { rule: 'address-in-use', cannotFix: true, failureClass: 'host' },
  },
  {
    name: 'address in use again after a restart in its own namespace: escalate',
    facts: exited(1),
    evidence: logs('Error: listen EADDRINUSE: address already in use :::30000'),
    history: makeHistory({
      restarts: [ago(10 * MIN)],
      incidents: [{ signature: 's', incidentId: 'i', firstSeen: ago(11 * MIN), lastSeen: ago(11 * MIN), count: 1, lastAction: 'restart', rule: 'address-in-use' }],
    }),
    expect: { rule: 'address-in-use', cannotFix: false, safe: false, says: ['seen 1 time before'] },
  },
  {
    name: 'nginx cannot resolve its upstream: a dependency, not its configuration',
    facts: exited(1),
    evidence: logs('nginx: [emerg] host not found in upstream "api:8080" in /etc/nginx/conf.d/default.conf:12'),
    expect: { rule: 'dns-failure', safe: true },
  },
  {
    name: 'EADDRINUSE (Node) names the port',
    facts: exited(1),
    evidence: logs('Error: listen EADDRINUSE: address already in use :::3000'),
    expect: { rule: 'address-in-use', says: ['port 3000'] },
  },
  {
    name: 'published port already allocated on the host',
    facts: makeFacts({ status: 'created', exitCode: 128, stateError: 'driver failed programming external connectivity on endpoint web: Bind for 0.0.0.0:8080 failed: port is already allocated' }),
    expect: { rule: 'address-in-use', cannotFix: true, failureClass: 'host', says: ['port 8080', 'on the host'] },
  },
  {
    name: 'connection pool exhausted (HikariCP) names the pool',
    facts: exited(1),
    evidence: logs('java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.'),
    expect: { rule: 'pool-exhausted', severity: 'high', safe: true, cannotFix: false, says: ['HikariPool-1'] },
  },
  {
    name: 'Postgres out of connection slots',
    facts: exited(1),
    evidence: logs('FATAL:  remaining connection slots are reserved for non-replication superuser connections'),
    expect: { rule: 'pool-exhausted', says: ['database refused new connections'] },
  },
  {
    name: 'knex pool timeout',
    facts: exited(1),
    evidence: logs('KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full.'),
    expect: { rule: 'pool-exhausted' },
  },
  {
    name: 'DNS failure (Postgres) names the host',
    facts: exited(1),
    evidence: logs('psycopg2.OperationalError: could not translate host name "db" to address: Name or service not known'),
    expect: { rule: 'dns-failure', severity: 'high', safe: true, cannotFix: false, says: ['"db"'] },
  },
  {
    name: 'DNS failure (Node getaddrinfo)',
    facts: exited(1),
    evidence: logs('Error: getaddrinfo ENOTFOUND redis-cache'),
    expect: { rule: 'dns-failure', says: ['"redis-cache"'] },
  },
  {
    name: 'DNS failure (Go) names the host',
    facts: exited(1),
    evidence: logs('dial tcp: lookup queue on 127.0.0.11:53: no such host'),
    expect: { rule: 'dns-failure', says: ['"queue"'] },
  },
  {
    name: 'connection refused (Node) names host and port',
    facts: exited(1),
    evidence: logs('Error: connect ECONNREFUSED 172.18.0.4:6379'),
    expect: { rule: 'connection-refused', severity: 'high', safe: true, cannotFix: false, settled: true, says: ['172.18.0.4:6379'] },
  },
  {
    name: 'connection refused (psycopg) names host and port',
    facts: exited(1),
    evidence: logs('psycopg.OperationalError: connection failed: connection to server at "postgres" (172.18.0.2), port 5432 failed: Connection refused'),
    expect: { rule: 'connection-refused', says: ['postgres:5432'] },
  },
  {
    name: 'connection refused (Go dial)',
    facts: exited(1),
    evidence: logs('dial tcp 10.0.0.7:9092: connect: connection refused'),
    expect: { rule: 'connection-refused', says: ['10.0.0.7:9092'] },
  },
  {
    name: 'dependency timeout',
    facts: exited(1),
    evidence: logs('Error: connect ETIMEDOUT 10.1.2.3:443'),
    expect: { rule: 'dependency-timeout', safe: true, says: ['10.1.2.3:443'] },
  },
  {
    name: 'timeout with no recovery line on a running container is a dependency timeout',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('INFO serving', 'ERROR upstream request timed out after 5000ms'),
    expect: { rule: 'dependency-timeout', says: ['web is running but'] },
  },
  {
    name: 'unhealthy with a known cause in the logs: the cause wins and the probe is still mentioned',
    facts: makeRunningFacts({ health: { status: 'unhealthy', failingStreak: 3, lastOutput: 'probe timed out' } }),
    trigger: makeTrigger('unhealthy'),
    evidence: { matchedLines: ['HikariPool-1 - Connection is not available, request timed out after 30000ms.'], logTail: ['HikariPool-1 - Connection is not available, request timed out after 30000ms.'] },
    expect: { rule: 'pool-exhausted', says: ['HikariPool-1', 'health check is failing', 'probe timed out'] },
  },
  {
    name: 'one upstream timeout, then requests served: a hiccup at low severity',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: {
      matchedLines: ['2022/03/19 19:05:39 [error] 235#235: *1494126 upstream timed out (110: Connection timed out) while reading response header from upstream'],
      logTail: [
        '2022/03/19 19:05:39 [error] 235#235: *1494126 upstream timed out (110: Connection timed out) while reading response header from upstream',
        '172.18.0.1 - - [19/Mar/2022:19:05:41 +0000] "GET /dashboard/ HTTP/2.0" 200 5120 "-" "Mozilla/5.0"',
      ],
    },
    expect: { rule: 'dependency-timeout', severity: 'low', safe: false, says: ['transient error, recorded only'] },
  },
  {
    name: 'errors with nothing but errors after them are not a hiccup',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('ERROR: request 1 to 10.0.0.1:5432 failed: connection refused'),
    expect: { rule: 'connection-refused', severity: 'high', says: ['Nothing it logged after that shows it carried on working'], saysNot: ['sustained rate', '1 such lines'] },
  },
  {
    name: 'one upstream timeout while its health check fails is not a hiccup, and says why',
    facts: makeRunningFacts({ health: { status: 'unhealthy', failingStreak: 3, lastOutput: 'probe timed out' } }),
    trigger: makeTrigger('log-pattern'),
    evidence: {
      matchedLines: ['[error] 13#13: *1 upstream timed out (110: Operation timed out) while reading response header from upstream'],
      logTail: ['[error] 13#13: *1 upstream timed out (110: Operation timed out) while reading response header from upstream', 'GET /dashboard/ 200'],
    },
    expect: { rule: 'dependency-timeout', severity: 'high', says: ['health check fails'], saysNot: ['sustained rate'] },
  },
  {
    name: 'a sustained rate of upstream timeouts is high',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: logs(
      '[error] 13#13: *1 upstream timed out (110: Operation timed out) while reading response header from upstream',
      '[error] 13#13: *2 upstream timed out (110: Operation timed out) while reading response header from upstream',
      '[error] 13#13: *3 upstream timed out (110: Operation timed out) while reading response header from upstream',
    ),
    expect: { rule: 'dependency-timeout', severity: 'high', says: ['sustained rate'] },
  },
  {
    name: 'connection refused at start-up again after a restart: escalate',
    facts: exited(1),
    evidence: logs('psycopg2.OperationalError: could not connect to server: Connection refused'),
    history: makeHistory({
      restarts: [ago(10 * MIN)],
      incidents: [{ signature: 's', incidentId: 'i', firstSeen: ago(11 * MIN), lastSeen: ago(11 * MIN), count: 1, lastAction: 'restart', rule: 'connection-refused' }],
    }),
    expect: { rule: 'connection-refused', severity: 'high', safe: false, failureClass: 'dependency', says: ['after the doctor restarted it'] },
  },
];

testRuleRows('dependencies', [addressInUse, poolExhausted, dnsFailure, connectionRefused, dependencyTimeout], rows);