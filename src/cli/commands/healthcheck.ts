import { request } from 'node:http';
import { ConfigError, ExitCode } from '../../core/errors.js';
import { configFromFlags, type CommonFlags } from '../config-flags.js';

/**
 * Asks the running doctor's /health, so the image can check itself without curl. Exit 0 when it
 * answers 200, 1 otherwise.
 */
export async function runHealthcheckCommand(flags: CommonFlags): Promise<number> {
  const config = configFromFlags(flags);
  if (config.health.port === 0) throw new ConfigError('HEALTH_PORT is 0: the health endpoint is disabled, nothing to check');
  const host = ['0.0.0.0', '::', ''].includes(config.health.host) ? '127.0.0.1' : config.health.host;
  const status = await new Promise<number>((resolve) => {
    const req = request(
      {
        host,
        port: config.health.port,
        path: '/health',
        method: 'GET',
        timeout: 3_000,
        headers: config.health.token ? { authorization: `Bearer ${config.health.token}` } : {},
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => {
      process.stderr.write(`doctor: health endpoint ${host}:${config.health.port} unreachable: ${error.message}\n`);
      resolve(0);
    });
    req.end();
  });
  if (status === 200) return ExitCode.ok;
  if (status !== 0) process.stderr.write(`doctor: health endpoint answered ${status}\n`);
  return ExitCode.problemFound;
}
