// A Connection whose SSH link lives in the connection keeper (keeper.ts) and outlasts the run: the
// next run on the same host skips the SSH handshake, the authentication and the host's session setup.
// The command lines and their stdin are built here, as for a direct connection (command-line.ts).
import net from 'node:net';
import { createInterface } from 'node:readline';
import { ConnectError } from '../../errors.ts';
import type { Host } from '../../model.ts';
import type { ExecResult } from '../../steps/step.ts';
import type { ConnectionSetup } from '../../trace.ts';
import { commandToSend } from '../command-line.ts';
import type { Connection, FollowedCommand } from '../connection.ts';
import { StringDecoder } from 'node:string_decoder';
import { hostLookupName, KnownHosts } from '../known-hosts.ts';
import { lockReader, runLockScript } from '../run-lock.ts';
import { sshConfigFor } from '../ssh-config.ts';
import { DEFAULT_COMMAND_TIMEOUT_MS, execResult, type SshOptions } from '../ssh.ts';
import { PROTOCOL_VERSION, privateKeyStamp, targetKey, type KeeperReply, type KeeperRequest, type KeptTarget } from './protocol.ts';

export interface KeeperAccess {
  socketPath: string;
  /**
   * Starts a keeper process listening on socketPath (detached: it outlives this run); the function it
   * returns tells whether that process has already exited (then waiting for it is pointless).
   */
  start(): () => boolean;
  persistSeconds: number;
}

/** No keeper could be reached or started: the caller connects directly instead. */
export class KeeperUnavailable extends Error {}

const START_WAIT_MS = 5000;

/** Opens a socket to the keeper at socketPath; with `start`, starts one when none listens and waits for it. */
export async function dial(socketPath: string, start?: () => () => boolean): Promise<net.Socket> {
  const attempt = () => new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  try {
    return await attempt();
  } catch (err) {
    if (!start) throw new KeeperUnavailable(String(err));
  }
  const exited = start();
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      // A keeper that lost the race to another one exits too, but then the other one answers above.
      if (exited() || Date.now() > deadline) throw new KeeperUnavailable(String(err));
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Sends one request; yields the keeper's replies until it ends the socket. */
export async function* ask(socket: net.Socket, request: KeeperRequest): AsyncGenerator<KeeperReply> {
  socket.on('error', () => {});
  socket.write(JSON.stringify(request) + '\n');
  for await (const line of createInterface({ input: socket })) {
    if (line) yield JSON.parse(line) as KeeperReply;
  }
}

function keptTarget(host: Host, options: SshOptions, persistSeconds: number): KeptTarget {
  const sshConfigFile = options.sshConfigFile ?? process.env.SCALEUP_SSH_CONFIG;
  const agentSocket = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
  const config = sshConfigFor(host.address, sshConfigFile);
  const lookup = hostLookupName(config.hostName ?? host.address, host.port);
  const pinned = new KnownHosts(options.knownHostsFile).lookup(lookup).map((k) => JSON.stringify(k));
  const privateKey = host.privateKey ?? config.identityFile;
  const parts = {
    address: host.address, port: host.port, user: host.user, privateKey: host.privateKey,
    ...(host.proxyJump ? { proxyJump: host.proxyJump } : {}),
    knownHostsFile: options.knownHostsFile, sshConfigFile, agentSocket,
  };
  return {
    ...parts, name: host.name, acceptNewHostKeys: options.acceptNewHostKeys, persistSeconds,
    ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    key: targetKey(parts, `${JSON.stringify(config)}|${privateKeyStamp(privateKey)}`, pinned),
  };
}

export class KeptConnection implements Connection {
  #roundTrips = 0;
  #lockSocket?: net.Socket;
  /** The keeper's connection this run works on, once its first command ran (see protocol.ts). */
  #generation?: number;

  private constructor(
    private readonly host: Host,
    private readonly target: KeptTarget,
    private readonly access: KeeperAccess,
    private readonly reusedAtConnect: boolean,
    private readonly generationAtConnect: number,
    private readonly commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {}

  /** Whether the run works on a connection kept from an earlier run (not one the keeper had to replace). */
  get reused(): boolean {
    return this.reusedAtConnect && (this.#generation === undefined || this.#generation === this.generationAtConnect);
  }

  /** The keeper verified the host key against known_hosts when it opened the link (the link is keyed by the pinned keys). */
  get setup(): ConnectionSetup {
    const config = sshConfigFor(this.host.address, this.target.sshConfigFile);
    return {
      link: this.reused ? 'kept-reused' : 'kept-new',
      address: config.hostName ?? this.host.address, port: this.host.port, user: this.host.user, hostKey: 'verified-by-keeper',
      // The inventory's jump host first, as the keeper opened the link (ssh.ts).
      ...((this.host.proxyJump ?? config.proxyJump) ? { via: this.host.proxyJump ?? config.proxyJump } : {}),
    };
  }

  #bind(generation: number): void {
    this.#generation ??= generation;
  }

  get hostName(): string {
    return this.host.name;
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  /** Throws KeeperUnavailable when no keeper can serve (then connect directly), ConnectError as a direct connection would. */
  static async open(host: Host, options: SshOptions, access: KeeperAccess): Promise<KeptConnection> {
    const target = keptTarget(host, options, access.persistSeconds);
    const socket = await dial(access.socketPath, access.start);
    try {
      for await (const reply of ask(socket, { v: PROTOCOL_VERSION, op: 'connect', target })) {
        if ('ok' in reply) return new KeptConnection(host, target, access, reply.reused, reply.generation, options.commandTimeoutMs);
        if ('error' in reply) throw new ConnectError(host.name, reply.error);
      }
      throw new KeeperUnavailable('the connection keeper gave no answer');
    } finally {
      socket.destroy();
    }
  }

  async #dial(): Promise<net.Socket> {
    try {
      return await dial(this.access.socketPath);
    } catch {
      throw new ConnectError(this.host.name, 'connection lost: the connection keeper is gone');
    }
  }

  async exec(command: string, options: { stdin?: string | Buffer; timeoutMs?: number; become?: boolean } = {}): Promise<ExecResult> {
    this.#roundTrips++;
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    const send = commandToSend(this.host, command, options.stdin, options.become);
    const socket = await this.#dial();
    const request: KeeperRequest = {
      v: PROTOCOL_VERSION, op: 'exec', target: this.target, timeoutMs,
      line: send.line, stdin: send.stdin?.toString('base64'), sudo: send.sudo, generation: this.#generation,
    };
    try {
      for await (const reply of ask(socket, request)) {
        if ('result' in reply) {
          this.#bind(reply.generation);
          return execResult(this.host.name, reply.result, timeoutMs);
        }
        if ('error' in reply) throw new ConnectError(this.host.name, reply.error);
      }
      throw new ConnectError(this.host.name, 'connection lost: the connection keeper went away');
    } finally {
      socket.destroy();
    }
  }

  async lock(holder: string, thenRun?: string): Promise<string | undefined> {
    const lock = runLockScript(holder, thenRun);
    this.#roundTrips++;
    const socket = await this.#dial();
    this.#lockSocket = socket;
    const reader = lockReader(lock, this.host.name);
    try {
      // As root when the run becomes root: the lock lives in root's directory (run-lock.ts).
      const send = commandToSend(this.host, lock.script, undefined, undefined, { sessionArg: true });
      const request: KeeperRequest = { v: PROTOCOL_VERSION, op: 'stream', target: this.target, line: send.line, sudo: send.sudo, generation: this.#generation };
      for await (const reply of ask(socket, request)) {
        if ('error' in reply) throw new ConnectError(this.host.name, `cannot take the run lock: ${reply.error}`);
        if ('opened' in reply) this.#bind(reply.generation);
        if (!('data' in reply)) continue;
        const held = reader.feed(Buffer.from(reply.data, 'base64').toString('utf8'));
        if (held) return held.output;
      }
      throw reader.failure();
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  async follow(command: string, onOutput: (text: string) => void, options: { become?: boolean } = {}): Promise<FollowedCommand> {
    this.#roundTrips++;
    const send = commandToSend(this.host, command, undefined, options.become);
    const socket = await this.#dial();
    const request: KeeperRequest = { v: PROTOCOL_VERSION, op: 'stream', target: this.target, line: send.line, sudo: send.sudo, generation: this.#generation };
    const decoder = new StringDecoder('utf8');
    let opened!: (value: FollowedCommand) => void;
    let refused!: (err: Error) => void;
    const started = new Promise<FollowedCommand>((resolve, reject) => ((opened = resolve), (refused = reject)));
    // The keeper ends the command's stdin when this socket closes (keeper.ts, op 'stream'). Ended, not
    // destroyed: a destroyed socket never ends the line reader below, which would then wait for ever.
    const handle = {
      stop: () => {
        socket.end();
        setTimeout(() => socket.destroy(), 2000).unref();
      },
      ended: Promise.resolve(),
    };
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const replies = (async () => {
      try {
        for await (const reply of ask(socket, request)) {
          if ('error' in reply) return refused(new ConnectError(this.host.name, reply.error));
          if ('opened' in reply) {
            this.#bind(reply.generation);
            opened(handle);
          }
          if ('data' in reply) onOutput(decoder.write(Buffer.from(reply.data, 'base64')));
          if ('closed' in reply) break;
        }
        refused(new ConnectError(this.host.name, 'connection lost: the connection keeper went away'));
      } finally {
        socket.destroy();
      }
    })();
    handle.ended = Promise.race([replies, closed]);
    return started;
  }

  /** Releases the run lock; the SSH connection stays with the keeper. */
  async close(): Promise<void> {
    this.#lockSocket?.destroy();
  }
}
