/**
 * Dependencies and the network: another service refuses, cannot be resolved or times out; a
 * port is taken; a pool runs dry. Dependencies come back, so these are worth a restart once.
 */
import {
  SUSTAINED_ERROR_LINES,
  diedAtStartUp,
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

/**
 * In its own network namespace only its own processes can hold the port, and every start creates
 * that namespace anew. A start that dies on it within the start-up window was blocked by something
 * the same start brought up: a second listener in its configuration (nginx `listen 80` beside
 * `listen [::]:80` that also takes IPv4, two pools or vhosts on one port) or the server started
 * twice by the entrypoint. The next start does the same, so it fails the same way.
 */
function heldByItsOwnStart(ctx: RuleContext): boolean {
  return diedAtStartUp(ctx);
}

export const addressInUse: CatalogEntry = {
  id: 'address-in-use',
  failureClass: (ctx, found) => (portHeldOutside(ctx, found) ? 'host' : heldByItsOwnStart(ctx) ? 'environment' : 'transient'),
  restartCannotFix: true,
  // A container that served for a while before the port was taken (a reload, a worker respawned
  // while the old one still held it, an overlapping scheduled run) met a race, not its
  // configuration: a fresh start in a fresh namespace gets one try.
  cannotFix: (ctx, found) => portHeldOutside(ctx, found) || heldByItsOwnStart(ctx),
  settled: true,
  match: (ctx) => lineHit(ctx, ADDRESS_IN_USE),
  build(ctx, found) {
    const port = found.line ? extractPort(found.line) : undefined;
    const thePort = port ? `port ${port}` : 'the port it binds';
    const outside = portHeldOutside(ctx, found);
    const mode = ctx.input.facts.networkMode;
    const where = HOST_PORT.test(found.line ?? '')
      ? ' on the host (a published port another process or container holds)'
      : outside
        ? ` by another service sharing its network (network mode ${mode})`
        : '';
    const what = `${lead(ctx, ' because')} ${thePort} is already in use${where}.${quoteHit(found)}`;
    if (outside) {
      return unfixable(ctx, {
        root_cause: what,
        suggested_fix: `Find what holds ${port ? `port ${port}` : 'the port'} on the host (ss -ltnp; docker ps --filter publish=${port ?? 'PORT'}) and stop it, or give this container another port.`,
        config_suggestions: ['Give each service its own port in configuration rather than a hard-coded default.'],
      });
    }
    const own = `The container has its own network namespace (${mode || 'bridge'}), so the holder is one of its own processes.`;
    if (heldByItsOwnStart(ctx)) {
      return unfixable(ctx, {
        root_cause: `${what} ${own} It died while starting, so the holder came up with this same start (a second listener on ${thePort} in its configuration, or the server started twice); every start repeats it.${recurrenceNote(ctx, 'address-in-use')}`,
        suggested_fix: `Find the second listener on ${thePort} in the container's configuration and entrypoint: two listen directives, servers or pools on the same address (nginx: \`listen [::]:${port ?? '80'}\` also takes IPv4 unless ipv6only=on), or an entrypoint that starts the server both as a daemon and in the foreground. Remove one, then re-create the container.`,
        config_suggestions: ['Check the configuration before deploying (nginx -t, php-fpm -t, apachectl configtest) and keep each listener on its own port.'],
      });
    }
    const again = restartDidNotHelp(ctx, 'address-in-use');
    return fields(ctx, 'address-in-use', {
      root_cause: `${what} ${own} It had been running for a while, so this looks like a race between its own processes (a reload or a worker respawned while the old one held the port).${recurrenceNote(ctx, 'address-in-use')}`,
      severity: 'high',
      auto_restart_safe: !again,
      suggested_fix: again
        ? `It happened again after a restart: something inside the image binds ${thePort} twice (two servers on one port, or a worker that keeps it); fix the configuration.`
        : `Restart it once: a fresh start gets a fresh network namespace. If it recurs, two processes in the image want ${thePort}.`,
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

/** The output after the newest dependency error shows the service at work again (a line that is not an error). */
function workedAfter(ctx: RuleContext): boolean {
  const tail = ctx.input.evidence.logTail;
  const errors = new Set(ctx.input.evidence.matchedLines);
  let last = -1;
  tail.forEach((line, i) => {
    if (DEPENDENCY_ERROR.test(line)) last = i;
  });
  return last >= 0 && tail.slice(last + 1).some((line) => line.trim().length > 0 && !errors.has(line));
}

/**
 * Severity and restart advice shared by the dependency entries. A running container that logged
 * a dependency error or two and then carried on working (a timeout, then requests served) is a
 * hiccup: recorded at low severity, not posted. Errors with nothing but errors after them are not,
 * nor are errors while its health check fails; a sustained rate is high. An exit gets one restart
 * (the dependency may be back), and the same error after that restart is escalated.
 */
function dependencyFields(ctx: RuleContext, id: string, f: { root_cause: string; suggested_fix: string; config_suggestions: string[] }): DiagnosisFields {
  if (ctx.running) {
    const count = ctx.input.evidence.matchedLines.filter((l) => DEPENDENCY_ERROR.test(l)).length;
    const sustained = count >= SUSTAINED_ERROR_LINES;
    const unhealthy = ctx.input.evidence.health === 'unhealthy';
    if (!sustained && !unhealthy && workedAfter(ctx)) {
      return fields(ctx, id, {
        ...f,
        root_cause: `${f.root_cause} It is still serving and logged ${count === 1 ? 'this once' : `${count} such lines`}: a transient error, recorded only.`,
        severity: 'low',
        auto_restart_safe: false,
        suggested_fix: 'Nothing to do unless it keeps happening; if it does, look at the dependency it waits for.',
      });
    }
    // Said as it is: many lines, a failing health check, or nothing after the error that shows it working.
    const why = sustained
      ? `${count} such lines: a sustained rate, not a hiccup.`
      : unhealthy
        ? 'Its health check fails too: not a passing hiccup.'
        : 'Nothing it logged after that shows it carried on working.';
    return fields(ctx, id, { ...f, root_cause: `${f.root_cause} ${why}`, severity: 'high', auto_restart_safe: true });
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
