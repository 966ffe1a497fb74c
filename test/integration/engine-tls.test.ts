/**
 * The Engine API transport over TLS, as DOCKER_TLS_VERIFY and DOCKER_CERT_PATH set it up (the
 * docker CLI's variables): a fake engine on 127.0.0.1 speaking HTTPS with a certificate from a
 * throwaway CA made by openssl, requiring the client's certificate as dockerd --tlsverify does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDockerEngine } from '../../src/adapters/docker/docker-engine.js';
import { DockerUnavailableError } from '../../src/core/errors.js';

const run = promisify(execFile);

async function makeCertificates(dir: string): Promise<void> {
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=doctor test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server-key.pem', '-out', 'server.csr');
  await ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', 'server.ext', '-out', 'server-cert.pem');
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=doctor', '-keyout', 'key.pem', '-out', 'client.csr');
  await ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-out', 'cert.pem');
}

describe('Engine API over TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)', { timeout: 60_000 }, () => {
  let dir: string;
  let server: https.Server;
  let host: string;
  const seen: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'doctor-tls-'));
    await makeCertificates(dir);
    const read = (f: string) => readFileSync(path.join(dir, f));
    server = https.createServer({ key: read('server-key.pem'), cert: read('server-cert.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      seen.push(`${req.method} ${req.url} ${(req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? ''}`);
      if (req.url === '/_ping') return void res.end('OK');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ Id: 'abc', Names: ['/web'], Image: 'web:1', Labels: {}, State: 'running', Status: 'Up 2 minutes (healthy)' }]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test('verifies the daemon against ca.pem and presents cert.pem and key.pem', async () => {
    const engine = createDockerEngine(host, { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir } });
    await engine.ping();
    assert.deepEqual(await engine.listContainers(), [{ id: 'abc', name: 'web', image: 'web:1', labels: {}, state: 'running', health: 'healthy' }]);
    assert.deepEqual(seen.slice(-2), ['GET /_ping doctor', 'GET /containers/json?all=1 doctor']);
  });

  test('a daemon certificate from another CA is refused with verification on', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'doctor-tls-other-'));
    try {
      await makeCertificates(other);
      // The client's own certificate is valid for the server; only the CA it trusts differs.
      for (const f of ['cert.pem', 'key.pem']) writeFileSync(path.join(other, f), readFileSync(path.join(dir, f)));
      const engine = createDockerEngine(host, { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: other } });
      await assert.rejects(engine.ping(), (error: unknown) => {
        assert.ok(error instanceof DockerUnavailableError, String(error));
        assert.match(error.message, new RegExp(`cannot reach the Docker Engine at ${host}`));
        return true;
      });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('DOCKER_TLS without verification still encrypts and presents the client certificate', async () => {
    const noCa = mkdtempSync(path.join(tmpdir(), 'doctor-tls-noca-'));
    try {
      for (const f of ['cert.pem', 'key.pem']) writeFileSync(path.join(noCa, f), readFileSync(path.join(dir, f)));
      await createDockerEngine(host, { env: { DOCKER_TLS: '1', DOCKER_CERT_PATH: noCa } }).ping();
      assert.equal(seen.at(-1), 'GET /_ping doctor');
    } finally {
      rmSync(noCa, { recursive: true, force: true });
    }
  });
});
