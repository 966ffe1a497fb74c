/**
 * Configuration: settings, files and credentials the container was created with. Docker keeps
 * `Config.Env` and mounts across `docker restart`, so the same start is rejected again.
 */
import { fromLine, lead, lineHit, quoteHit, unfixable, LOG_LEVELS, type CatalogEntry, type RuleContext, type RuleMatch } from './rule-kit.js';
import { extractPath, extractUrlHost, findLastLine } from '../evidence-text.js';
import { DEPENDENCY_ERROR } from './dependencies.js';
import { isStatefulImage } from '../container-policy.js';

/**
 * A configuration the program rejects; re-reading the same file on restart rejects it again.
 * Besides known phrasings, any fatal line that names a configuration file and line
 * (`in /etc/nginx/conf.d/default.conf:17`) is a rejected file. A rejected command line is
 * `usage-error`'s (usage.ts).
 */
const INVALID_CONFIG = /is not terminated by|(?:\[emerg\]|\bemerg\b|FATAL|fatal|error).* in \/\S+\.(?:conf|cfg|ya?ml|json|toml|ini|properties):\d+|FATAL CONFIG FILE ERROR|configuration file "[^"]+" contains errors|syntax error in file "[^"]+" line \d+|Bad directive or wrong number of arguments|unknown directive|directive is not allowed here|directive is duplicate|invalid number of arguments in|configuration file \S+ test failed|yaml: line \d+|mapping values are not allowed|could not find expected ':'|(?:error|failed to|cannot|unable to) (?:parse|parsing|load|loading|read|reading|decode|decoding) (?:the )?(?:config|configuration|settings|\S+\.(?:ya?ml|json|toml|ini|conf|properties))|invalid (?:config|configuration)\b|configuration (?:file )?(?:is )?invalid|Invalid (?:value|setting) for (?:option|setting|parameter|configuration)/i;
/** Credentials a dependency rejects: the container keeps sending the same ones after a restart. */
const BAD_CREDENTIALS = /password authentication failed|Access denied for user|Login failed for user|authentication failed for user|(?:invalid|incorrect|wrong) (?:username or password|password|credentials)|WRONGPASS|NOAUTH Authentication required|SASL authentication failed|Authentication failed\.? \(?(?:bad|invalid) (?:credentials|auth)|AuthenticationFailed|invalid_client|InvalidAccessKeyId|SignatureDoesNotMatch|The security token included in the request is invalid/i;
const TLS_EXPIRED = /certificate has expired|certificate (?:is )?expired|CERT_HAS_EXPIRED|CertificateExpired|ERR_CERT_DATE_INVALID|certificate is not yet valid|certificate expired/i;

/**
 * Missing configuration. Each pattern's first group, when present, is the missing name. Python's
 * KeyError counts only for environment-style names (upper case) so `KeyError: 'id'` in app code
 * is not mistaken for configuration.
 */
const MISSING_CONFIG: readonly RegExp[] = [
  /KeyError: '([A-Z][A-Z0-9_]*)'/,
  /environment variable:? "?'?\$?([A-Za-z_]\w*)"?'? (?:is )?(?:not set|not defined|missing|required|unset|empty|undefined)/i,
  /(?:missing|required|undefined|unset) (?:required )?env(?:ironment)?(?: var(?:iable)?)?s?:? "?'?\$?([A-Za-z_]\w*)/i,
  /\b([A-Z][A-Z0-9_]{2,})\b (?:env(?:ironment)? var(?:iable)? )?(?:is )?(?:not set|must be set|must be defined|must be provided|is required|required but not set|is missing|undefined)/,
  /([A-Za-z_]\w*): (?:parameter not set|parameter null or not set|unbound variable)/,
  /missing required (?:config(?:uration)?|setting|option|key|field|property)s?:? "?'?([\w.-]+)/i,
  /Could not resolve placeholder '([^']+)'/,
  /(?:config(?:uration)?|settings) file [^\n]*(?:not found|missing|does not exist|no such file)/i,
  /validation errors? for \w*(?:Settings|Config)\b/,
  /ImproperlyConfigured: (?:Set the )?([A-Z][A-Z0-9_]+)?/,
  /missing required config/i,
  /undefined env/i,
];

export const missingConfig: CatalogEntry = {
  id: 'missing-config',
  failureClass: 'environment',
  // The environment is fixed when a container is created: `docker restart` keeps Config.Env, so a
  // missing variable stays missing until the container is re-created with it.
  restartCannotFix: true,
  settled: true,
  match(ctx) {
    for (const pattern of MISSING_CONFIG) {
      const hit = findLastLine(ctx.lines, pattern);
      // "WARN not set ..." names a log level, not a variable.
      if (hit && !LOG_LEVELS.has(hit.match[1] ?? '')) return fromLine(hit);
    }
    // A KeyError on os.environ: Python says which key on the last line, the environ access above it.
    if (ctx.lines.some((l) => /os\.environ\[|environ\.get|getenv/.test(l))) {
      const hit = findLastLine(ctx.lines, /KeyError: '([^']+)'/);
      if (hit) return fromLine(hit);
    }
    return undefined;
  },
  build(ctx, found) {
    const name = found.captured;
    const file = found.line && /file/i.test(found.line) ? extractPath(found.line) : undefined;
    const what = name ? `the setting ${name}` : file ? `the configuration file ${file}` : 'a required setting';
    const present = name && ctx.input.facts.env.some((e) => e.startsWith(`${name}=`));
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} ${what} is missing or invalid${present ? ` (${name} is set in the container's environment, so check its value)` : ''}.${quoteHit(found)}`,
      suggested_fix: name
        ? `Set ${name} for the container (docker run -e ${name}=..., compose environment: or env_file:) and re-create it; a restart keeps the old environment.`
        : 'Provide the missing configuration (environment variable, config file or mounted secret) and re-create the container.',
      config_suggestions: ['Validate required settings at start-up and list every one in an .env.example.'],
    });
  },
};

export const invalidConfig: CatalogEntry = {
  id: 'invalid-config',
  failureClass: 'environment',
  // The program rejects its configuration; the same file or flags are read again on restart.
  restartCannotFix: true,
  settled: true,
  // A fatal line about a dependency names the file that points at it, not a fault in the file.
  match: (ctx) => lineHit(ctx, INVALID_CONFIG, DEPENDENCY_ERROR),
  build(ctx, found) {
    const file = found.line ? extractPath(found.line) : undefined;
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it rejected its configuration${file ? ` (${file})` : ''}: a syntax error, an unknown option or an invalid value.${quoteHit(found)}`,
      suggested_fix: `Correct the configuration${file ? ` in ${file}` : ''} (the log names the line or option), then restart; validate it first where the program offers a check (nginx -t, --check, --dry-run).`,
      config_suggestions: ['Validate configuration in CI or in an entrypoint check before the service starts.'],
    });
  },
};

/**
 * Credentials rejected in prose or by status: an HTTP 401 from a call it made, an API key or token
 * refused, "authentication failed" from a broker or database driver. Judged only on an exit, in
 * its last lines, so a 401 it logged once for a request earlier is not taken for its cause.
 */
const REJECTED_AUTH = new RegExp(
  [
    String.raw`\b(?:status(?: code)?|HTTP(?:\/[\d.]+)?|response(?: code)?|returned|responded with|got|error code|code)[:=]?\s*"?401\b`,
    String.raw`\b401 Unauthorized\b`,
    String.raw`\binvalid[ _-]?api[ _-]?key\b|\bIncorrect API key\b|\bAPI key (?:is )?(?:invalid|not valid|expired|revoked|rejected|disabled)\b`,
    String.raw`\binvalid (?:access |auth |bearer |api )?token\b|\binvalid_token\b|\binvalid_grant\b|\btoken (?:is )?(?:invalid|revoked|has been revoked)\b`,
    String.raw`\bInvalid authentication credentials\b|\bBad credentials\b|\bunauthori[sz]ed: (?:invalid|bad|wrong|authentication)`,
    String.raw`\bauthentication failed\b|\bSaslAuthenticationException\b|\bLogin was refused\b|\bACCESS_REFUSED\b`,
  ].join('|'),
  'i',
);
/**
 * Not a rejection of its credentials: an inbound request it answered with 401 (a method and a
 * path: `"GET /api HTTP/1.1" 401`), or a failure that is about getting an answer at all.
 */
const NOT_REJECTED = /"?\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/|\bfrom (?:client )?\d{1,3}(?:\.\d{1,3}){3}\b|timed? ?out|timeout|temporar(?:y|ily)|try again|rate limit|\b(?:429|503)\b|connection (?:reset|refused|closed)/i;
/** How far back from the exit a rejection may be: the last call before it gave up. */
const REJECTED_TAIL_LINES = 15;

function rejectedHit(ctx: RuleContext): RuleMatch | undefined {
  if (!ctx.exited || ctx.exitCode === 0) return undefined;
  const hit = findLastLine(ctx.lines.slice(-REJECTED_TAIL_LINES), REJECTED_AUTH, NOT_REJECTED);
  return hit ? { line: hit.line } : undefined;
}

export const badCredentials: CatalogEntry = {
  id: 'bad-credentials',
  failureClass: 'environment',
  // The container sends the credentials it was created with; a restart sends the same ones.
  restartCannotFix: true,
  settled: true,
  // A database or broker server that keeps running logs the credentials its clients got wrong
  // (Postgres' `FATAL:  password authentication failed for user "bob"`): those are not its own.
  match: (ctx) => (ctx.running && isStatefulImage(ctx.input.facts.ref.image) ? undefined : lineHit(ctx, BAD_CREDENTIALS) ?? rejectedHit(ctx)),
  build(ctx, found) {
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} a dependency rejected its credentials (a wrong or rotated password, key or token).${quoteHit(found)}`,
      suggested_fix: 'Check the credentials the container is given (environment, secrets, mounted files) against the dependency, update them and re-create the container.',
      config_suggestions: ['Keep credentials in one secret shared by both services, and rotate them in both places at once.'],
    });
  },
};

export const tlsExpired: CatalogEntry = {
  id: 'tls-expired',
  failureClass: 'environment',
  // Certificates do not renew on restart. (A server whose renewed certificate is already on disk
  // would pick it up on restart; the suggested fix says so, but that is a person's call.)
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, TLS_EXPIRED),
  build(ctx, found) {
    const line = found.line ?? '';
    const host = extractUrlHost(line) ?? line.match(/(?:for|host|server) "?([a-z0-9][\w.-]*\.[a-z]{2,})"?/i)?.[1];
    // Go says "has expired or is not yet valid" for both; its "current time X is before Y" is a clock behind.
    const notYet = (/not yet valid/i.test(line) && !/expired/i.test(line)) || /current time \S+ is before/i.test(line);
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} a TLS certificate${host ? ` presented by ${host}` : ''} ${notYet ? 'is not yet valid (check the clock)' : 'has expired'}.${quoteHit(found)}`,
      suggested_fix: notYet
        ? 'Check the system clock of the host (NTP); a certificate only reads as not yet valid when the clock is behind.'
        : `Renew the certificate${host ? ` of ${host}` : ''} (or update the CA bundle in the image if an intermediate expired), after checking that the host's clock is right (a clock far ahead makes valid certificates read as expired). If it is this container's own certificate and a renewed one is already on disk, a restart will load it.`,
      config_suggestions: ['Automate renewal (ACME/certbot) and alert on certificates expiring within 14 days.'],
    });
  },
};

/** A certificate the service cannot obtain or renew (ACME and other issuers): it will lapse. */
const CERT_RENEWAL = /unable to obtain (?:ACME )?certificate|(?:cannot|could not|failed to) (?:obtain|renew|issue|order) (?:the |a |an )?(?:ACME |TLS )?certificates?|certificate (?:renewal|issuance|order) failed|error renewing certificate|cannot get ACME client/i;

export const certificateRenewal: CatalogEntry = {
  // Issuance fails on the DNS, the firewall or the account, which live outside the container: a
  // restart asks again and fails again, and meanwhile the current certificate runs out.
  id: 'certificate-renewal',
  failureClass: 'environment',
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, CERT_RENEWAL),
  build(ctx, found) {
    const domains = (found.line ?? '').match(/for domains? \\?"?([^"\\]+)/i)?.[1];
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ':')} it cannot obtain or renew a TLS certificate${domains ? ` for ${domains}` : ''}; until that is fixed the certificate it serves will expire (or is already self-signed).${quoteHit(found)}`,
      suggested_fix: 'Fix what the issuer reports (the DNS record or API token for a DNS challenge, port 80/443 reachable from the internet for HTTP/TLS challenges, the resolver the container uses), then let it retry.',
      config_suggestions: ['Alert on certificates expiring within 14 days, independently of the proxy.'],
    });
  },
};
