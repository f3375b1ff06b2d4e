// What a run and the connection keeper say to each other over the keeper's Unix socket: one JSON
// object per line. A request is the first line a run writes on a fresh socket; the keeper answers on
// the same socket. Command lines arrive already wrapped (command-line.ts): the keeper never sees a
// host's variables, so it holds no secret beyond the stdin of the command it is running (and, for a
// host with a sudo password, that password, which it sends only when sudo prompts: see channel-io.ts).
import { createHash } from 'node:crypto';
import type { SudoAnswer } from '../command-line.ts';
import { existsSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PROTOCOL_VERSION = 4;

/** Everything that decides which SSH connection may serve a host; two equal targets share one. */
export interface KeptTarget {
  name: string;
  address: string;
  port: number;
  user: string;
  privateKey?: string;
  /** The inventory's jump host (`[user@]host[:port]`): part of the key, so a tunnelled and a direct connection never share. */
  proxyJump?: string;
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  sshConfigFile?: string;
  agentSocket?: string;
  /** Seconds the keeper keeps the connection after its last use. */
  persistSeconds: number;
  /** How long the keeper waits for the host's SSH handshake. */
  connectTimeoutMs?: number;
  /** Identity of the target's credentials and pinned host keys (see targetKey). */
  key: string;
}

/**
 * `generation` numbers the SSH connections the keeper opened for a target. A run's first command may
 * find the kept connection dead and get a new one; every later command names the generation it started
 * on and fails as "connection lost" if that connection is gone, as a direct connection would: a run
 * never silently continues on a new connection, which would not hold its run lock.
 */
export type KeeperRequest =
  | { v: number; op: 'connect'; target: KeptTarget }
  | { v: number; op: 'exec'; target: KeptTarget; line: string; stdin?: string; sudo?: SudoAnswer; timeoutMs: number; generation?: number }
  /** A channel kept open until the run closes its socket (the run lock). */
  | { v: number; op: 'stream'; target: KeptTarget; line: string; sudo?: SudoAnswer; generation?: number }
  | { v: number; op: 'list' }
  | { v: number; op: 'stop' };

export type KeeperReply =
  | { ok: true; reused: boolean; generation: number }
  /** The stream's channel is open, on this connection. */
  | { opened: true; generation: number }
  /** Why the keeper could not run the request (a ConnectError's reason: the run reports it as such). */
  | { error: string }
  | { result: { stdout: string; stderr: string; code: number | null; signal: string | null; timedOut: boolean }; generation: number }
  | { data: string }
  | { closed: true }
  | { connections: KeptConnectionInfo[]; pid: number }
  | { stopping: true };

export interface KeptConnectionInfo {
  name: string;
  address: string;
  port: number;
  user: string;
  openedAt: string;
  lastUsedAt: string;
  uses: number;
}

/**
 * A connection is reused only for the same address, user, key file (same contents) and the same
 * pinned host keys: a changed known_hosts entry or a replaced private key opens a new connection,
 * which verifies the host again.
 */
export function targetKey(parts: Omit<KeptTarget, 'key' | 'persistSeconds' | 'acceptNewHostKeys' | 'name'>, privateKeyStamp: string, pinnedKeys: string[]): string {
  return createHash('sha256').update(JSON.stringify([parts, privateKeyStamp, pinnedKeys])).digest('hex');
}

/**
 * The directory of keeper sockets: the person's own, mode 0700, like OpenSSH's ControlPath. Undefined
 * when it exists with looser permissions or another owner — then runs connect directly.
 */
export function keeperDir(base = process.env.XDG_RUNTIME_DIR || tmpdir()): string | undefined {
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(base, `scaleup-${uid}`);
  try {
    if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700, recursive: true });
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    // Not ours to create (read-only, no permission): no keeper.
    return undefined;
  }
  return dir;
}

/** The longest Unix socket path Linux takes (sun_path is 108 bytes with its terminating NUL). */
const MAX_SOCKET_PATH = 107;

/** One keeper per installation of scaleup (its code on disk) and protocol version; undefined if the path is too long. */
export function keeperSocketPath(dir: string, entry: string): string | undefined {
  const id = createHash('sha256').update(`${PROTOCOL_VERSION}\0${path.resolve(entry)}`).digest('hex').slice(0, 16);
  const socket = path.join(dir, `keeper-${id}.sock`);
  return Buffer.byteLength(socket) <= MAX_SOCKET_PATH ? socket : undefined;
}

export function privateKeyStamp(file: string | undefined): string {
  if (!file || !existsSync(file)) return '';
  const st = statSync(file);
  return `${st.size}:${st.mtimeMs}:${st.ino}`;
}
