/**
 * Dependencies and the network: another service refuses, cannot be resolved or times out; a
 * port is taken; a pool runs dry. Dependencies come back, so these are worth a restart once.
 */
import {
  SUSTAINED_ERROR_LINES,
  fields,
  lead,
  lineHit,
  quoteHit,
  recurrenceNote,
  restartDidNotHelp,
  unfixable,
  type CatalogEntry,
  type DiagnosisFields,
  type RuleContext,
  type RuleMatch,
} from './rule-kit.js';
import { extractEndpoint, extractPort, extractUnresolvedHost, extractUrlHost } from '../evidence-text.js';

export const ADDRESS_IN_USE = /\bEADDRINUSE\b|address already in use|port is already allocated|\bAddress in use\b|Port \d+ (?:was|is) already in use|Only one usage of each socket address|BindException/i;
const POOL_EXHAUSTED = /remaining connection slots are reserved|too many connections|too many clients|pool (?:is )?exhausted|Timeout acquiring a connection|Connection is not available, request timed out|QueuePool limit of size|Timeout waiting for idle object|could not (?:obtain|acquire|get) (?:a )?connection from (?:the )?pool|no more connections allowed|connection pool (?:is )?(?:full|exhausted)|pool timeout|ConnectionPoolTimeout|timeout exceeded when trying to connect/i;
const DNS_FAILURE = /could not translate host name|host not found in upstream|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\bENOTFOUND\b|\bEAI_AGAIN\b|Name or service not known|no such host|Temporary failure in name resolution|UnknownHostException|nodename nor servname provided|Could not resolve host|Name does not resolve|server misbehaving/i;
const CONNECTION_REFUSED = /\bECONNREFUSED\b|connection refused|actively refused|could not connect to server|Can't connect to (?:local )?MySQL server|Error 111 connecting|\[Errno 111\]|\(111: Connection refused\)|ConnectException|EHOSTUNREACH|No route to host/i;
const DEPENDENCY_TIMEOUT = /\bETIMEDOUT\b|connect(?:ion)? timed out|timed out (?:while )?connecting|connection timeout|i\/o timeout|context deadline exceeded|deadline exceeded|Read timed out|SocketTimeoutException|timeout expired|operation timed out|(?:request|upstream|query|read|write|socket|gateway|call) timed out|\bTimeout(?:Error|Exception)\b/i;

/**
 * A port held outside the container's own network namespace: with `network_mode: host` or a
 * namespace shared with another container (`container:<id>`, which compose writes for
 * `network_mode: service:x`) the holder is another service; a published port that cannot be bound
 * is held on the host (the engine reports it as the start error). None of these go away on restart.
 */
const HOST_PORT = /already allocated|userland proxy|failed to bind host port|programming external connectivity/i;

function portHeldOutside(ctx: RuleContext, found: RuleMatch): boolean {
  const mode = ctx.input.facts.networkMode;
  return mode === 'host' || mode.startsWith('container:') || mode.startsWith('service:') || HOST_PORT.test(found.line ?? '');
}

export const addressInUse: CatalogEntry = {
  id: 'address-in-use',
  failureClass: (ctx, found) => (portHeldOutside(ctx, found) ? 'host' : 'transient'),
  restartCannotFix: true,
  // In its own network namespace only its own processes can hold the port (usually the previous
  // instance still closing), and a restart starts it in a fresh namespace: restart once.
  cannotFix: (ctx, found) => portHeldOutside(ctx, found),
  settled: true,
  match: (ctx) => lineHit(ctx, ADDRESS_IN_USE),
  build(ctx, found) {
    const port = found.line ? extractPort(found.line) : undefined;
    const outside = portHeldOutside(ctx, found);
    const mode = ctx.input.facts.networkMode;
    const where = HOST_PORT.test(found.line ?? '')
      ? ' on the host (a published port another process or container holds)'
      : outside
        ? ` by another service sharing its network (network mode ${mode})`
        : '';
    const what = `${lead(ctx, ' because')} ${port ? `port ${port}` : 'the port it binds'} is already in use${where}.${quoteHit(found)}`;
    if (outside) {
      return unfixable(ctx, {
        root_cause: what,
        suggested_fix: `Find what holds ${port ? `port ${port}` : 'the port'} on the host (ss -ltnp; docker ps --filter publish=${port ?? 'PORT'}) and stop it, or give this container another port.`,
        config_suggestions: ['Give each service its own port in configuration rather than a hard-coded default.'],
      });
    }
    const again = restartDidNotHelp(ctx, 'address-in-use');
    return fields(ctx, 'address-in-use', {
      root_cause: `${what} The container has its own network namespace (${mode || 'bridge'}), so the holder is one of its own processes.${recurrenceNote(ctx, 'address-in-use')}`,
      severity: 'high',
      auto_restart_safe: !again,
      suggested_fix: again
        ? 'It happened again after a restart: something inside the image binds the port twice (two servers on one port, or a worker that keeps it); fix the configuration.'
        : 'Restart it: a fresh start gets a fresh network namespace. If it recurs, two processes in the image want the same port.',
      config_suggestions: [],
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

/** Any of the three dependency shapes. */
export const DEPENDENCY_ERROR = new RegExp([DNS_FAILURE.source, CONNECTION_REFUSED.source, DEPENDENCY_TIMEOUT.source].join('|'), 'i');

/**
 * Severity and restart advice shared by the dependency entries. A running container that logged
 * a dependency error or two while it keeps working (a timeout, then requests served) is a hiccup:
 * recorded at low severity, not posted. A sustained rate is high. An exit gets one restart (the
 * dependency may be back), and the same error after that restart is escalated.
 */
function dependencyFields(ctx: RuleContext, id: string, f: { root_cause: string; suggested_fix: string; config_suggestions: string[] }): DiagnosisFields {
  if (ctx.running) {
    const count = ctx.input.evidence.matchedLines.filter((l) => DEPENDENCY_ERROR.test(l)).length;
    if (count < SUSTAINED_ERROR_LINES && ctx.input.evidence.health !== 'unhealthy') {
      return fields(ctx, id, {
        ...f,
        root_cause: `${f.root_cause} It is still serving and logged ${count === 1 ? 'this once' : `${count} such lines`}: a transient error, recorded only.`,
        severity: 'low',
        auto_restart_safe: false,
        suggested_fix: 'Nothing to do unless it keeps happening; if it does, look at the dependency it waits for.',
      });
    }
    return fields(ctx, id, { ...f, root_cause: `${f.root_cause} ${count} such lines: a sustained rate, not a hiccup.`, severity: 'high', auto_restart_safe: true });
  }
  const again = restartDidNotHelp(ctx, id);
  return fields(ctx, id, {
    ...f,
    root_cause: again ? `${f.root_cause} It failed the same way after the doctor restarted it, so the dependency is not coming back by itself or the address is wrong.` : f.root_cause,
    severity: 'high',
    auto_restart_safe: !again,
    suggested_fix: again ? `${f.suggested_fix} A second restart would only repeat the first.` : f.suggested_fix,
  });
}

export const dnsFailure: CatalogEntry = {
  id: 'dns-failure',
  failureClass: 'dependency',
  restartCannotFix: false,
  settled: true,
  match: (ctx) => lineHit(ctx, DNS_FAILURE),
  build(ctx, found) {
    const host = found.line ? extractUnresolvedHost(found.line) ?? extractUrlHost(found.line) : undefined;
    return dependencyFields(ctx, 'dns-failure', {
      root_cause: `${lead(ctx, ' because')} it could not resolve ${host ? `the host name "${host}"` : 'a dependency\'s host name'} (the dependency is not running, not on the same Docker network, or the name is wrong).${quoteHit(found)}${recurrenceNote(ctx, 'dns-failure')}`,
      // Usually the dependency's container was down and a restart after it is back recovers; a
      // wrong name fails again after that restart and is escalated.
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
    return dependencyFields(ctx, 'connection-refused', {
      root_cause: `${lead(ctx, ' because')} a dependency refused its connection${endpoint ? ` (${endpoint})` : ''}: nothing was listening there, usually because that service is down or still starting.${quoteHit(found)}${recurrenceNote(ctx, 'connection-refused')}`,
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
    return dependencyFields(ctx, 'dependency-timeout', {
      root_cause: `${lead(ctx, ' after')} a call to a dependency timed out${endpoint ? ` (${endpoint})` : ''}: it is slow, overloaded or unreachable on the network.${quoteHit(found)}${recurrenceNote(ctx, 'dependency-timeout')}`,
      suggested_fix: `Check the health and latency of ${endpoint ?? 'the dependency'} and the network between them; restart ${ctx.name} once it answers.`,
      config_suggestions: ['Retry timed-out calls with backoff instead of exiting.'],
    });
  },
};
