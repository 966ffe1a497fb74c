/**
 * A raw dockerode client for one DOCKER_HOST entry, for tests and the bench to arrange scenes
 * (create, kill, stop, exec). The doctor itself speaks the Engine API with node:http
 * (src/adapters/docker/engine-http.ts); dockerode is a development dependency only.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import Docker from 'dockerode';
import { parseDockerHost, type DockerEndpoint, type DockerHostEnv } from '../../src/adapters/docker/docker-host.js';

export function createDockerodeClient(host: string, env: DockerHostEnv & { SSH_AUTH_SOCK?: string } = process.env): Docker {
  const options = toDockerodeOptions(parseDockerHost(host, env), env);
  // dockerode reads DOCKER_HOST from the environment even with explicit options and throws on a
  // comma list; hide it for the constructor's synchronous run.
  const saved = process.env['DOCKER_HOST'];
  delete process.env['DOCKER_HOST'];
  try {
    return new Docker(options);
  } finally {
    if (saved !== undefined) process.env['DOCKER_HOST'] = saved;
  }
}

function toDockerodeOptions(endpoint: DockerEndpoint, env: { SSH_AUTH_SOCK?: string }): Docker.DockerOptions {
  switch (endpoint.kind) {
    case 'socket':
      return { socketPath: endpoint.socketPath };
    case 'ssh':
      return { protocol: 'ssh', host: endpoint.host, port: endpoint.port, username: endpoint.username, sshOptions: { agent: env.SSH_AUTH_SOCK } };
    case 'tcp': {
      if (!endpoint.tls) return { protocol: 'http', host: endpoint.host, port: endpoint.port };
      const read = (file: string) => {
        const full = path.join(endpoint.tls!.certPath, file);
        return fs.existsSync(full) ? fs.readFileSync(full) : undefined;
      };
      return {
        protocol: 'https',
        host: endpoint.host,
        port: endpoint.port,
        ca: read('ca.pem'),
        cert: read('cert.pem'),
        key: read('key.pem'),
        ...(endpoint.tls.verify ? {} : { agent: new https.Agent({ rejectUnauthorized: false }) }),
      };
    }
  }
}
