// Where this installation's connection keeper listens, how to start it, and how long it keeps a
// connection: `--ssh-persist SECONDS`, else $SCALEUP_SSH_PERSIST, else 60 (OpenSSH's ControlPersist
// as Ansible sets it); 0 connects directly and keeps nothing.
import { spawn } from 'node:child_process';
import { InventoryError } from '../core/errors.ts';
import { ask, dial, type KeeperAccess } from '../core/connection/kept/kept-connection.ts';
import { keeperDir, keeperSocketPath, PROTOCOL_VERSION, type KeeperReply } from '../core/connection/kept/protocol.ts';

export const DEFAULT_SSH_PERSIST_SECONDS = 60;

export function sshPersistSeconds(flag?: string): number {
  const given = flag ?? process.env.SCALEUP_SSH_PERSIST;
  if (given === undefined || given === '') return DEFAULT_SSH_PERSIST_SECONDS;
  if (!/^\d+$/.test(given)) {
    throw new InventoryError(`'${given}' is not a number of seconds (0 keeps no connection)`, {
      file: flag === undefined ? '(environment)' : '(command line)', field: flag === undefined ? 'SCALEUP_SSH_PERSIST' : '--ssh-persist',
    });
  }
  return Number(given);
}

/** The keeper's socket for the CLI running now (one keeper per installation), if a safe place exists. */
function socketPath(): string | undefined {
  const entry = process.argv[1];
  const dir = entry ? keeperDir() : undefined;
  return dir && entry ? keeperSocketPath(dir, entry) : undefined;
}

export function keeperAccess(persistSeconds: number): KeeperAccess | undefined {
  const path = persistSeconds > 0 ? socketPath() : undefined;
  if (!path) return undefined;
  // Every host of a run finds no keeper at once; one process is enough.
  let exited: (() => boolean) | undefined;
  const start = () => {
    if (!exited) {
      let gone = false;
      const child = spawn(process.execPath, [process.argv[1]!, '__keeper', path], { detached: true, stdio: 'ignore' });
      child.once('error', () => (gone = true));
      child.once('exit', () => (gone = true));
      child.unref();
      exited = () => gone;
    }
    return exited;
  };
  return { socketPath: path, persistSeconds, start };
}

/** Asks this installation's keeper one thing; undefined when no keeper runs. */
export async function askKeeper(op: 'list' | 'stop'): Promise<KeeperReply | undefined> {
  const path = socketPath();
  const socket = path ? await dial(path).catch(() => undefined) : undefined;
  if (!socket) return undefined;
  try {
    for await (const reply of ask(socket, { v: PROTOCOL_VERSION, op })) return reply;
    return undefined;
  } finally {
    socket.destroy();
  }
}
