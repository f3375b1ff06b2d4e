// The connection keeper: a background process that holds SSH connections between runs, as OpenSSH's
// ControlMaster/ControlPersist does for `ssh` (and so for Ansible). A run asks it, over a Unix socket
// only its owner can open, to run command lines on a host; the keeper opens the connection the first
// time (verifying the host key as a direct connection would) and keeps it `persistSeconds` after its
// last use. It exits when it holds no connection. It prints nothing and logs nothing.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { ConnectError } from '../../errors.ts';
import { SshConnection } from '../ssh.ts';
import { runOnChannel, sudoAnswerer } from '../channel-io.ts';
import { PROTOCOL_VERSION, type KeeperReply, type KeeperRequest, type KeptConnectionInfo, type KeptTarget } from './protocol.ts';

/** A reused connection must open a channel within this time, else it is taken for dead and replaced. */
const REUSE_OPEN_TIMEOUT_MS = 3000;
/** How long a client may take to send its request line. */
const REQUEST_WAIT_MS = 5000;
/** A keeper nobody talks to after it started goes away. */
const UNUSED_EXIT_MS = 15_000;

interface Entry {
  target: KeptTarget;
  conn?: SshConnection;
  generation: number;
  opening?: Promise<SshConnection>;
  openedAt: Date;
  lastUsedAt: Date;
  uses: number;
  active: number;
  idle?: NodeJS.Timeout;
}

export class ConnectionKeeper {
  #entries = new Map<string, Entry>();
  #clients = new Set<net.Socket>();
  #server = net.createServer((socket) => this.#serve(socket));
  #exitTimer?: NodeJS.Timeout;
  #done!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.#done = resolve));

  constructor(private readonly socketPath: string) {}

  /** Listens on the socket; resolves false when a live keeper already answers there. */
  async listen(): Promise<boolean> {
    if (existsSync(this.socketPath)) {
      if (await answers(this.socketPath)) return false;
      unlinkSync(this.socketPath);
    }
    const listening = await new Promise<boolean>((resolve, reject) => {
      this.#server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
      this.#server.listen(this.socketPath, () => resolve(true));
    });
    // Another keeper, started at the same moment, got there first.
    if (!listening) return false;
    chmodSync(this.socketPath, 0o600);
    this.#scheduleExit(UNUSED_EXIT_MS);
    return true;
  }

  #serve(socket: net.Socket): void {
    socket.on('error', () => {});
    this.#clients.add(socket);
    socket.once('close', () => this.#clients.delete(socket));
    // A request is one line, sent at once: a client that says nothing is not waited for.
    const silent = setTimeout(() => socket.destroy(), REQUEST_WAIT_MS);
    const lines = createInterface({ input: socket });
    lines.once('line', (line) => {
      clearTimeout(silent);
      lines.close();
      let request: KeeperRequest;
      try {
        request = JSON.parse(line) as KeeperRequest;
      } catch {
        return void socket.destroy();
      }
      if (request.v !== PROTOCOL_VERSION) return void socket.destroy();
      this.#handle(request, socket).catch((err: unknown) => {
        send(socket, { error: err instanceof ConnectError ? err.reason : String(err) });
        socket.end();
      });
    });
  }

  async #handle(request: KeeperRequest, socket: net.Socket): Promise<void> {
    switch (request.op) {
      case 'list':
        send(socket, { connections: this.#list(), pid: process.pid });
        return void socket.end();
      case 'stop':
        send(socket, { stopping: true });
        // Its answer is on the way: this socket ends by itself.
        this.#clients.delete(socket);
        socket.end();
        return this.stop();
      case 'connect': {
        const { reused, generation } = await this.#use(request.target, async () => undefined);
        // The run's first command may still replace a silently dead connection: no generation yet.
        send(socket, { ok: true, reused, generation });
        return void socket.end();
      }
      case 'exec': {
        const stdin = request.stdin === undefined ? undefined : Buffer.from(request.stdin, 'base64');
        let result: Awaited<ReturnType<typeof runOnChannel>> | undefined;
        const { generation } = await this.#use(request.target, async (conn, openTimeoutMs) => {
          result = await conn.openChannel(request.line, (channel) => {
            // The run went away (interrupted): the command goes with it, as it would with a direct link.
            const onGone = () => channel.close();
            socket.once('close', onGone);
            return runOnChannel(channel, stdin, request.timeoutMs, request.sudo).finally(() => socket.off('close', onGone));
          }, openTimeoutMs);
        }, request.generation);
        send(socket, { result: result!, generation });
        return void socket.end();
      }
      case 'stream':
        await this.#use(request.target, async (conn, openTimeoutMs, generation) => {
          await conn.openChannel(request.line, (channel) => {
            send(socket, { opened: true, generation });
            return new Promise<void>((resolve) => {
              let closed = false;
              channel.on('error', () => {});
              channel.on('data', (c: Buffer) => send(socket, { data: c.toString('base64') }));
              if (request.sudo) {
                const answer = sudoAnswerer(request.sudo, channel, () => {});
                channel.stderr.on('data', (c: Buffer) => answer.stderr(c));
              } else {
                channel.stderr.resume();
              }
              channel.on('close', () => {
                closed = true;
                send(socket, { closed: true });
                socket.end();
                resolve();
              });
              // The run closed its end (finished, or died): end the remote command's stdin.
              socket.once('close', () => {
                if (!closed) channel.end();
              });
            });
          }, openTimeoutMs);
        }, request.generation);
    }
  }

  /**
   * Runs `work` on the target's connection, opening it if needed; resolves whether it was reused. A
   * reused connection that cannot open a channel (the host rebooted, the link died silently) is
   * replaced by a new one and `work` tried again: nothing ran on the host yet.
   */
  async #use(target: KeptTarget, work: (conn: SshConnection, openTimeoutMs: number | undefined, generation: number) => Promise<void>, generation?: number): Promise<{ reused: boolean; generation: number }> {
    this.#cancelExit();
    let entry = this.#entries.get(target.key);
    if (!entry) {
      entry = { target, generation: 0, openedAt: new Date(), lastUsedAt: new Date(), uses: 0, active: 0 };
      this.#entries.set(target.key, entry);
    }
    entry.target = target;
    entry.active++;
    if (entry.idle) clearTimeout(entry.idle);
    try {
      if (generation !== undefined) {
        if (!entry.conn?.alive || entry.generation !== generation) throw new ConnectError(target.name, 'connection lost');
        await work(entry.conn, undefined, generation);
        entry.uses++;
        return { reused: true, generation };
      }
      const reused = Boolean(entry.conn?.alive);
      const conn = await this.#connection(entry);
      try {
        await work(conn, reused ? REUSE_OPEN_TIMEOUT_MS : undefined, entry.generation);
      } catch (err) {
        // Only opening the channel throws a ConnectError: the command never started.
        if (!reused || !(err instanceof ConnectError)) throw err;
        entry.conn = undefined;
        void conn.close();
        await work(await this.#connection(entry), undefined, entry.generation);
        entry.uses++;
        return { reused: false, generation: entry.generation };
      }
      entry.uses++;
      return { reused, generation: entry.generation };
    } finally {
      entry.active--;
      entry.lastUsedAt = new Date();
      if (entry.active === 0 && this.#entries.get(target.key) === entry) {
        if (entry.conn?.alive) entry.idle = setTimeout(() => this.#drop(entry!), Math.max(0, target.persistSeconds) * 1000);
        else this.#drop(entry);
      }
    }
  }

  async #connection(entry: Entry): Promise<SshConnection> {
    if (entry.conn?.alive) return entry.conn;
    if (!entry.opening) {
      const t = entry.target;
      entry.opening = SshConnection.open(
        { name: t.name, address: t.address, privateAddress: t.address, port: t.port, user: t.user, privateKey: t.privateKey, ...(t.proxyJump ? { proxyJump: t.proxyJump } : {}), become: false, groups: [], vars: {} },
        { knownHostsFile: t.knownHostsFile, acceptNewHostKeys: t.acceptNewHostKeys, sshConfigFile: t.sshConfigFile, agentSocket: t.agentSocket, connectTimeoutMs: t.connectTimeoutMs },
      ).finally(() => (entry.opening = undefined));
      entry.opening.then((c) => {
        entry.conn = c;
        entry.generation++;
        entry.openedAt = new Date();
      }, () => {});
    }
    return entry.opening;
  }

  #drop(entry: Entry): void {
    if (entry.idle) clearTimeout(entry.idle);
    void entry.conn?.close();
    entry.conn = undefined;
    if (this.#entries.get(entry.target.key) === entry && entry.active === 0) this.#entries.delete(entry.target.key);
    if (this.#entries.size === 0) this.#scheduleExit(0);
  }

  #list(): KeptConnectionInfo[] {
    return [...this.#entries.values()].filter((e) => e.conn?.alive).map((e) => ({
      name: e.target.name, address: e.target.address, port: e.target.port, user: e.target.user,
      openedAt: e.openedAt.toISOString(), lastUsedAt: e.lastUsedAt.toISOString(), uses: e.uses,
    }));
  }

  #scheduleExit(ms: number): void {
    this.#cancelExit();
    this.#exitTimer = setTimeout(() => {
      if (this.#entries.size === 0) this.stop();
    }, ms);
  }

  #cancelExit(): void {
    if (this.#exitTimer) clearTimeout(this.#exitTimer);
    this.#exitTimer = undefined;
  }

  /** Closes every connection and the socket. */
  stop(): void {
    this.#cancelExit();
    for (const e of this.#entries.values()) {
      if (e.idle) clearTimeout(e.idle);
      void e.conn?.close();
    }
    this.#entries.clear();
    this.#server.close(() => this.#done());
    // close() waits for every client socket to end: the runs' sockets end with their channels, any other now.
    for (const socket of this.#clients) socket.destroy();
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
  }
}

function send(socket: net.Socket, reply: KeeperReply): void {
  if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The keeper process's whole life: serve until idle, then exit. */
export async function runKeeper(socketPath: string): Promise<void> {
  const keeper = new ConnectionKeeper(socketPath);
  if (!(await keeper.listen())) return;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => keeper.stop());
  await keeper.finished;
}
