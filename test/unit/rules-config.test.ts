import { missingConfig, invalidConfig, badCredentials, tlsExpired, certificateRenewal } from '../../src/core/rules/config.js';
import { makeRunningFacts, makeTrigger } from '../helpers/facts.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'nginx rejects its configuration',
    facts: exited(1),
    evidence: logs('nginx: [emerg] unknown directive "proxy_pas" in /etc/nginx/conf.d/default.conf:7'),
    expect: { rule: 'invalid-config', cannotFix: true, says: ['/etc/nginx/conf.d/default.conf'] },
  },
  {
    name: 'YAML configuration does not parse',
    facts: exited(1),
    evidence: logs('Error: failed to parse config.yaml: yaml: line 3: mapping values are not allowed in this context'),
    expect: { rule: 'invalid-config' },
  },
  {
    name: 'Postgres rejects the password',
    facts: exited(1),
    evidence: logs('FATAL:  password authentication failed for user "app"'),
    expect: { rule: 'bad-credentials', cannotFix: true, safe: false },
  },
  {
    name: 'MySQL rejects the user',
    facts: exited(1),
    evidence: logs("ERROR 1045 (28000): Access denied for user 'app'@'172.18.0.5' (using password: YES)"),
    expect: { rule: 'bad-credentials' },
  },
  {
    name: 'an HTTP 401 from the call it made before exiting: its credentials were rejected',
    facts: exited(1),
    evidence: logs('info: fetching remote config from https://config.example.com/v1/app', 'AxiosError: Request failed with status code 401', 'fatal: could not fetch config'),
    expect: { rule: 'bad-credentials', cannotFix: true, safe: false, failureClass: 'environment' },
  },
  {
    name: 'an API key refused (OpenAI client)',
    facts: exited(1),
    evidence: logs("openai.AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect API key provided: sk-abc***', 'type': 'invalid_request_error', 'code': 'invalid_api_key'}}"),
    expect: { rule: 'bad-credentials', cannotFix: true },
  },
  {
    name: 'MongoDB driver: Authentication failed.',
    facts: exited(1),
    evidence: logs('MongoServerError: Authentication failed.', '    at Connection.onMessage (/app/node_modules/mongodb/lib/cmap/connection.js:207:30)'),
    expect: { rule: 'bad-credentials', cannotFix: true },
  },
  {
    name: 'RabbitMQ refuses the login',
    facts: exited(1),
    evidence: logs("pika.exceptions.ProbableAuthenticationError: ConnectionClosedByBroker: (403) 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.'"),
    expect: { rule: 'bad-credentials', cannotFix: true },
  },
  {
    name: 'a 401 it answered a client with, long before an unexplained exit, is not its credentials',
    facts: exited(1),
    evidence: logs('172.18.0.1 - - [01/Dec/2026:03:12:44 +0000] "GET /admin HTTP/1.1" 401 23 "-" "curl/8.5.0"', 'level=warn msg="unauthorized request" path=/admin status=401 from 172.18.0.1', 'Killed'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'authentication that timed out is not a rejection',
    facts: exited(1),
    evidence: logs('kafka: SASL handshake: authentication failed: i/o timeout'),
    expect: { rule: 'dependency-timeout' },
  },
  {
    name: 'a running service that logs a 401 it returned keeps serving: not judged as its credentials',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('ERROR auth: invalid token for request POST /api/orders (status 401)'),
    expect: { rule: 'errors-logged' },
  },
  {
    name: 'a running Postgres server logging a client\'s wrong password: the client\'s credentials, not its own',
    facts: makeRunningFacts({ ref: { image: 'postgres:16' } }),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('2026-12-02 03:12:44.120 UTC [88] FATAL:  password authentication failed for user "bob"', '2026-12-02 03:12:44.120 UTC [88] DETAIL:  Connection matched file "/var/lib/postgresql/data/pg_hba.conf" line 128'),
    expect: { rule: 'errors-logged' },
  },
  {
    name: 'an app still running but locked out of its database: its own credentials',
    facts: makeRunningFacts({ ref: { image: 'acme/api:2' } }),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('error: password authentication failed for user "api"'),
    expect: { rule: 'bad-credentials' },
  },
  {
    name: 'missing env var: Python KeyError',
    facts: exited(1),
    evidence: logs('Traceback (most recent call last):', "    DATABASE_URL = os.environ['DATABASE_URL']", "KeyError: 'DATABASE_URL'"),
    expect: { rule: 'missing-config', cannotFix: true, safe: false, says: ['DATABASE_URL'] },
  },
  {
    name: 'missing env var: "environment variable X is not set"',
    facts: exited(1),
    evidence: logs('Error: environment variable "STRIPE_API_KEY" is not set'),
    expect: { rule: 'missing-config', says: ['STRIPE_API_KEY'] },
  },
  {
    name: 'missing env var: "X must be set"',
    facts: exited(1),
    evidence: logs('panic: JWT_SECRET must be set'),
    expect: { rule: 'missing-config', says: ['JWT_SECRET'] },
  },
  {
    name: 'missing env var: shell set -u',
    facts: exited(1),
    evidence: logs('/entrypoint.sh: line 4: REDIS_URL: unbound variable'),
    expect: { rule: 'missing-config', says: ['REDIS_URL'] },
  },
  {
    name: 'missing Spring placeholder',
    facts: exited(1),
    evidence: logs("java.lang.IllegalArgumentException: Could not resolve placeholder 'app.db.password' in value \"${app.db.password}\""),
    expect: { rule: 'missing-config', says: ['app.db.password'] },
  },
  {
    name: 'TLS certificate expired (Go) names the host',
    facts: exited(1),
    evidence: logs('Get "https://api.partner.example.com/v1/orders": x509: certificate has expired or is not yet valid: current time 2025-06-01T12:00:00Z is after 2025-05-30T23:59:59Z'),
    expect: { rule: 'tls-expired', cannotFix: true, safe: false, says: ['api.partner.example.com', 'has expired'] },
  },
  {
    name: "Go's 'expired or is not yet valid' with the current time before the start: the clock is behind",
    facts: exited(1),
    evidence: logs('x509: certificate has expired or is not yet valid: current time 2019-01-01T00:00:05Z is before 2025-03-01T00:00:00Z'),
    expect: { rule: 'tls-expired', cannotFix: true, says: ['not yet valid (check the clock)'] },
  },
  {
    name: 'TLS certificate expired (Node)',
    facts: exited(1),
    evidence: logs('Error: certificate has expired', '    code: CERT_HAS_EXPIRED'),
    expect: { rule: 'tls-expired' },
  },

  {
    name: 'a certificate it cannot renew: escalate while it still serves',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('time="2021-05-23T11:25:43Z" level=error msg="Unable to obtain ACME certificate for domains \\"portainernuc.example.nl\\": unable to generate a certificate for the domains [portainernuc.example.nl]"'),
    expect: { rule: 'certificate-renewal', severity: 'high', safe: false, cannotFix: true, failureClass: 'environment', says: ['cannot obtain or renew a TLS certificate', 'portainernuc.example.nl'] },
  },
  {
    name: 'a fatal line naming a configuration file and line is a rejected file',
    facts: exited(1),
    evidence: logs('nginx: [emerg] directive "set" is not terminated by ";" in /etc/nginx/conf.d/default.conf:17'),
    expect: { rule: 'invalid-config', cannotFix: true, says: ['/etc/nginx/conf.d/default.conf'] },
  },
  {
    name: "redis' fatal config file error",
    facts: exited(1),
    evidence: logs('*** FATAL CONFIG FILE ERROR (Redis 7.0.2) ***', 'Reading the configuration file, at line 2', ">>> 'port 6379 \"--appendonly no\"'", 'wrong number of arguments'),
    expect: { rule: 'invalid-config', cannotFix: true },
  },
];

testRuleRows('config', [missingConfig, invalidConfig, badCredentials, tlsExpired, certificateRenewal], rows);
