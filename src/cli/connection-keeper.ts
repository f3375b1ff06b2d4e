// Where this installation's connection keeper listens, how to start it, and how long it keeps a
// connection by default: 60 s (OpenSSH's ControlPersist as Ansible sets it; settings.ts gives the
// precedence of --ssh-persist, $SCALEUP_SSH_PERSIST and scaleup.yml); 0 connects directly and keeps nothing.
import { spawn } from 'node:child_process';
import { ask, dial, type KeeperAccess } from '../core/connection/kept/kept-connection.ts';
import { keeperDir, keeperSocketPath, PROTOCOL_VERSION, type KeeperReply } from '../core/connection/kept/protocol.ts';

export const DEFAULT_SSH_PERSIST_SECONDS = 60;

/** The keeper's socket for the CLI running now (one keeper per installation), if a safe place exists. */
function socketPath(): string | undefined {
  const entry = process.argv[1];
  const dir = entry ? keeperDir() : undefined;
  return dir && entry ? keeperSocketPath(dir, entry) : undefined;
}

/**
 * What the keeper may inherit of the run's environment: it outlives the run, and any process of the
 * same user can read its environment (/proc/PID/environ), so it gets an allow-list, never the run's
 * whole environment (which may hold SCALEUP_VAULT_PASSWORD, a CI token, a cloud key…). Kept: what
 * a process needs to be an ordinary process of its user (PATH, HOME for `~` in ssh config and key
 * paths, USER, LOGNAME, the locale, TZ for its timestamps, TMPDIR for tsx's cache when it runs from
 * source), and what the keeper reads: SSH_AUTH_SOCK (the agent, for a host without a key file),
 * XDG_RUNTIME_DIR (its socket's folder), SCALEUP_SSH_CONFIG (the ssh config it resolves hosts with)
 * and SCALEUP_FROM_SOURCE (bin/provision.js: it runs the same code as the run that started it).
 */
export const KEEPER_ENVIRONMENT = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR',
  'SSH_AUTH_SOCK', 'XDG_RUNTIME_DIR', 'SCALEUP_SSH_CONFIG', 'SCALEUP_FROM_SOURCE',
] as const;

/** The environment the keeper is started with: only the allow-listed variables of `env` that are set. */
export function keeperEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const name of KEEPER_ENVIRONMENT) if (env[name] !== undefined) kept[name] = env[name];
  return kept;
}

export function keeperAccess(persistSeconds: number): KeeperAccess | undefined {
  const path = persistSeconds > 0 ? socketPath() : undefined;
  if (!path) return undefined;
  // Every host of a run finds no keeper at once; one process is enough.
  let exited: (() => boolean) | undefined;
  const start = () => {
    if (!exited) {
      let gone = false;
      const child = spawn(process.execPath, [process.argv[1]!, '__keeper', path], { detached: true, stdio: 'ignore', env: keeperEnvironment() });
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
