/**
 * Connections to an engine at ssh://[user@]host[:port], as the docker CLI makes them: each HTTP
 * connection is an ssh channel running `docker system dial-stdio` on the remote host
 * (docker/cli cli/connhelper/connhelper.go). Keys come from the ssh agent (SSH_AUTH_SOCK).
 * ssh2 is imported only when the first connection opens, so a doctor without an ssh engine
 * never loads it.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
}

type ConnectCallback = (error: Error | null, socket?: Duplex) => void;

/** An http.Agent whose connections are `docker system dial-stdio` channels over one ssh session. */
export function createSshAgent(target: SshTarget, agentSocket: string | undefined): http.Agent {
  let session: Promise<Client> | undefined;
  const connect = (): Promise<Client> => {
    session ??= openSession(target, agentSocket).then(
      (client) => {
        // A closed session is opened again by the next connection.
        client.once('close', () => (session = undefined));
        return client;
      },
      (error: unknown) => {
        session = undefined;
        throw error;
      },
    );
    return session;
  };
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 4 });
  // http.Agent accepts an asynchronous createConnection that answers through its callback.
  (agent as unknown as { createConnection: (options: unknown, callback: ConnectCallback) => undefined }).createConnection = (_options, callback) => {
    connect()
      .then((client) =>
        client.exec('docker system dial-stdio', (error, channel) => {
          if (error) callback(error);
          else callback(null, channel as unknown as Duplex);
        }),
      )
      .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
    return undefined;
  };
  return agent;
}

async function openSession(target: SshTarget, agentSocket: string | undefined): Promise<Client> {
  const { Client } = (await import('ssh2')).default;
  const client = new Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => {
      client.off('error', reject);
      // Later failures end the session; each open channel reports its own error.
      client.on('error', () => client.end());
      resolve(client);
    });
    client.once('error', reject);
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username ?? process.env['USER'] ?? 'root',
      agent: agentSocket,
      keepaliveInterval: 30_000,
    });
  });
}
