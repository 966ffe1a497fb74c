/**
 * Dependencies and the network: another service refuses, cannot be resolved or times out; a
 * port is taken; a pool runs dry. Dependencies come back, so these are worth a restart once.
 */
import { fields, lead, lineHit, quoteHit, recurrenceNote, unfixable, type CatalogEntry } from './rule-kit.js';
import { extractEndpoint, extractPort, extractUnresolvedHost, extractUrlHost } from '../evidence-text.js';

export const ADDRESS_IN_USE = /\bEADDRINUSE\b|address already in use|port is already allocated|\bAddress in use\b|Port \d+ (?:was|is) already in use|Only one usage of each socket address|BindException/i;
const POOL_EXHAUSTED = /remaining connection slots are reserved|too many connections|too many clients|pool (?:is )?exhausted|Timeout acquiring a connection|Connection is not available, request timed out|QueuePool limit of size|Timeout waiting for idle object|could not (?:obtain|acquire|get) (?:a )?connection from (?:the )?pool|no more connections allowed|connection pool (?:is )?(?:full|exhausted)|pool timeout|ConnectionPoolTimeout|timeout exceeded when trying to connect/i;
const DNS_FAILURE = /could not translate host name|host not found in upstream|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\bENOTFOUND\b|\bEAI_AGAIN\b|Name or service not known|no such host|Temporary failure in name resolution|UnknownHostException|nodename nor servname provided|Could not resolve host|Name does not resolve|server misbehaving/i;
const CONNECTION_REFUSED = /\bECONNREFUSED\b|connection refused|actively refused|could not connect to server|Can't connect to (?:local )?MySQL server|Error 111 connecting|\[Errno 111\]|\(111: Connection refused\)|ConnectException|EHOSTUNREACH|No route to host/i;
const DEPENDENCY_TIMEOUT = /\bETIMEDOUT\b|connect(?:ion)? timed out|timed out (?:while )?connecting|connection timeout|i\/o timeout|context deadline exceeded|deadline exceeded|Read timed out|SocketTimeoutException|timeout expired|operation timed out|(?:request|upstream|query|read|write|socket|gateway|call) timed out|\bTimeout(?:Error|Exception)\b/i;

export const addressInUse: CatalogEntry = {
  id: 'address-in-use',
  failureClass: 'host',
  // In its own network namespace the port is taken by another process in the same container or,
  // with host networking or a published port, by another service: neither goes away on restart.
  // The transient case (its own previous instance still closing) is what Docker's restart policy
  // already retries.
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, ADDRESS_IN_USE),
  build(ctx, found) {
    const port = found.line ? extractPort(found.line) : undefined;
    const published = found.line && /already allocated/i.test(found.line);
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} ${port ? `port ${port}` : 'the port it binds'} is already in use${published ? ' on the host by another container' : ''}.${quoteHit(found)}`,
      suggested_fix: published
        ? `Free host port ${port ?? ''} (docker ps --filter publish=${port ?? 'PORT'}) or publish this container on another port.`
        : `Find what holds ${port ? `port ${port}` : 'the port'} (ss -ltnp, or another process in the container) and stop it, or configure a different port.`,
      config_suggestions: ['Give each service its own port in configuration rather than a hard-coded default.'],
    });
  },
};

export const poolExhausted: CatalogEntry = {
  id: 'pool-exhausted',
  failureClass: 'resource',
  restartCannotFix: false,
  settled: true,
  match: (ctx) => lineHit(ctx, POOL_EXHAUSTED),
  build(ctx, found) {
    const line = found.line ?? '';
    const serverSide = /remaining connection slots|too many (?:connections|clients)|no more connections allowed/i.test(line);
    const pool = line.match(/(HikariPool-\d+|[\w-]*Pool[\w-]*) - Connection is not available/)?.[1] ?? line.match(/QueuePool limit of size \d+ overflow \d+/)?.[0];
    return fields(ctx, 'pool-exhausted', {
      root_cause: serverSide
        ? `${lead(ctx, ':')} the database refused new connections because all its connection slots are in use (by this service or others).${quoteHit(found)}${recurrenceNote(ctx, 'pool-exhausted')}`
        : `${lead(ctx, ':')} its database connection pool${pool ? ` (${pool})` : ''} is exhausted, so requests time out waiting for a connection (leaked connections, slow queries, or a pool too small for the load).${quoteHit(found)}${recurrenceNote(ctx, 'pool-exhausted')}`,
      severity: 'high',
      // A restart drops this process's connections, which releases leaked ones.
      auto_restart_safe: true,
      suggested_fix: serverSide
        ? 'Restart to release its connections; then compare the sum of all clients\' pool sizes with the database\'s max_connections, or add a pooler (PgBouncer).'
        : 'Restart to release leaked connections; then look for connections not returned to the pool and for slow queries, and size the pool for the load.',
      config_suggestions: ['Keep the sum of pool sizes across replicas below the database\'s connection limit.', 'Enable leak detection (e.g. HikariCP leakDetectionThreshold).'],
    });
  },
};

export const dnsFailure: CatalogEntry = {
  id: 'dns-failure',
  failureClass: 'dependency',
  restartCannotFix: false,
  settled: true,
  match: (ctx) => lineHit(ctx, DNS_FAILURE),
  build(ctx, found) {
    const host = found.line ? extractUnresolvedHost(found.line) ?? extractUrlHost(found.line) : undefined;
    return fields(ctx, 'dns-failure', {
      root_cause: `${lead(ctx, ' because')} it could not resolve ${host ? `the host name "${host}"` : 'a dependency\'s host name'} (the dependency is not running, not on the same Docker network, or the name is wrong).${quoteHit(found)}${recurrenceNote(ctx, 'dns-failure')}`,
      severity: 'high',
      // Usually the dependency's container was down; a restart after it is back recovers. A wrong
      // name repeats, and the crash-loop and throttle guardrails stop that.
      auto_restart_safe: true,
      suggested_fix: `Check that ${host ?? 'the dependency'} is running and attached to the same user-defined network as ${ctx.name} (docker network inspect), and that the name is spelled as its service or container name.`,
      config_suggestions: ['Declare the dependency (compose depends_on with condition: service_healthy) and retry name resolution at start-up.'],
    });
  },
};

export const connectionRefused: CatalogEntry = {
  id: 'connection-refused',
  failureClass: 'dependency',
  restartCannotFix: false,
  settled: true,
  match: (ctx) => lineHit(ctx, CONNECTION_REFUSED),
  build(ctx, found) {
    const endpoint = found.line ? extractEndpoint(found.line) : undefined;
    return fields(ctx, 'connection-refused', {
      root_cause: `${lead(ctx, ' because')} a dependency refused its connection${endpoint ? ` (${endpoint})` : ''}: nothing was listening there, usually because that service is down or still starting.${quoteHit(found)}${recurrenceNote(ctx, 'connection-refused')}`,
      severity: 'high',
      auto_restart_safe: true,
      suggested_fix: `Check that ${endpoint ?? 'the dependency'} is up and listening, then restart ${ctx.name}; make it retry the connection at start-up instead of exiting.`,
      config_suggestions: ['Start it after its dependencies are healthy (compose depends_on: condition: service_healthy).', 'Retry connections with backoff at start-up.'],
    });
  },
};

export const dependencyTimeout: CatalogEntry = {
  id: 'dependency-timeout',
  failureClass: 'dependency',
  restartCannotFix: false,
  settled: true,
  match: (ctx) => lineHit(ctx, DEPENDENCY_TIMEOUT),
  build(ctx, found) {
    const endpoint = found.line ? extractEndpoint(found.line) : undefined;
    return fields(ctx, 'dependency-timeout', {
      root_cause: `${lead(ctx, ' after')} a call to a dependency timed out${endpoint ? ` (${endpoint})` : ''}: it is slow, overloaded or unreachable on the network.${quoteHit(found)}${recurrenceNote(ctx, 'dependency-timeout')}`,
      severity: 'high',
      auto_restart_safe: true,
      suggested_fix: `Check the health and latency of ${endpoint ?? 'the dependency'} and the network between them; restart ${ctx.name} once it answers.`,
      config_suggestions: ['Retry timed-out calls with backoff instead of exiting.'],
    });
  },
};
