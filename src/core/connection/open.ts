// How a run reaches a host over SSH: through the connection keeper when connections persist between
// runs (the default, like OpenSSH's ControlPersist), directly otherwise or when no keeper can start.
import type { Host } from '../model.ts';
import type { Connection } from './connection.ts';
import { KeeperUnavailable, KeptConnection, type KeeperAccess } from './kept/kept-connection.ts';
import { SshConnection, type SshOptions } from './ssh.ts';

export async function openSsh(host: Host, options: SshOptions, keeper?: KeeperAccess): Promise<Connection> {
  if (keeper && keeper.persistSeconds > 0) {
    try {
      return await KeptConnection.open(host, options, keeper);
    } catch (err) {
      if (!(err instanceof KeeperUnavailable)) throw err;
    }
  }
  return SshConnection.open(host, options);
}
