/**
 * Access rules: a server refuses this client's address before any password is checked
 * (Postgres pg_hba.conf, MySQL's host part of a user, Redis protected mode). The rule lives in
 * the server's configuration and the client comes from the same network next start.
 */
import { lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';

const HOST_NOT_ALLOWED = /no pg_hba\.conf entry for (?:host|replication connection)|pg_hba\.conf rejects connection|Host '[^']+' is not allowed to connect to this (?:MySQL|MariaDB) server|DENIED Redis is running in protected mode/i;

export const hostNotAllowed: CatalogEntry = {
  id: 'host-not-allowed',
  failureClass: 'environment',
  restartCannotFix: true,
  settled: true,
  // Exits only: the database's own container logs the same line for a client it refused.
  match: (ctx) => (ctx.exited ? lineHit(ctx, HOST_NOT_ALLOWED) : undefined),
  build(ctx, found) {
    const line = found.line ?? '';
    const client = line.match(/entry for host "([^"]+)"/i)?.[1] ?? line.match(/Host '([^']+)'/i)?.[1];
    const user = line.match(/user "([^"]+)"/i)?.[1];
    const database = line.match(/database "([^"]+)"/i)?.[1];
    const fix = /pg_hba/i.test(line)
      ? `Add a pg_hba.conf line on the database server for ${client ? `${client} (better: the Docker network's subnet)` : 'this container\'s address or network'}${user ? `, user ${user}` : ''}${database ? `, database ${database}` : ''} with the auth method the client uses (scram-sha-256), and reload Postgres (SELECT pg_reload_conf()); if the line ends "no encryption", the server may require SSL (hostssl) and the client must use it.`
      : /Redis/i.test(line)
        ? 'Set a password on Redis (requirepass) and give it to the client, or bind Redis to the Docker network explicitly; protected mode refuses clients from other hosts while it has neither.'
        : `Grant the user from this client's host on the server (CREATE USER 'app'@'%' or the Docker subnet${client ? `, not only '${client}'` : ''}).`;
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} the database refused its connection by address${client ? ` (client ${client})` : ''}: the server's access rules do not let this container in, whatever the password.${quoteHit(found)}`,
      suggested_fix: `${fix} Then start ${ctx.name} again.`,
      config_suggestions: ['Allow the Docker network\'s subnet in the server\'s access rules rather than single container addresses, which change on re-creation.'],
    });
  },
};
