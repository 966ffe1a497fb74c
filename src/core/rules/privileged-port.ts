/**
 * A port it may not bind: below 1024 without root or CAP_NET_BIND_SERVICE. The user, the
 * capabilities and the port are part of the container and the image, so every start is refused.
 */
import { lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';
import { extractPort } from '../evidence-text.js';

const PORT_NOT_PERMITTED = /(?:bind\(\) to|listen tcp\d?|make_sock|could not bind)[^\n]*(?:\(13: Permission denied\)|permission denied)|\(13\)Permission denied: AH00072|listen EACCES: permission denied|BindException: Permission denied|SocketException: Permission denied[^\n]*bind/i;

export const portNotPermitted: CatalogEntry = {
  id: 'port-not-permitted',
  failureClass: 'environment',
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, PORT_NOT_PERMITTED),
  build(ctx, found) {
    const port = found.line ? extractPort(found.line) : undefined;
    const low = port !== undefined && Number(port) < 1024;
    const mode = ctx.input.facts.networkMode;
    const host = mode === 'host' ? ' With network_mode: host the host\'s own unprivileged-port limit applies.' : '';
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it may not bind ${port ? `port ${port}` : 'its port'}${low ? ' (a privileged port, below 1024)' : ''}: the process runs without root or the NET_BIND_SERVICE capability.${host}${quoteHit(found)}`,
      suggested_fix: `Listen on an unprivileged port inside the container (8080) and publish it as ${port ?? 'the wanted port'} (-p ${port ?? '80'}:8080), or grant the capability (compose cap_add: [NET_BIND_SERVICE], and setcap cap_net_bind_service=+ep on the binary when it runs as a user; check that cap_drop: ALL did not remove it); then re-create the container.`,
      config_suggestions: ['Run services as a non-root user on ports above 1024 and map the public port with -p.'],
    });
  },
};
