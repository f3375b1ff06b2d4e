// One SSH connection per host (node-ssh over ssh2), host key verified against known_hosts before
// authentication, commands through a non-login `sh -c`, become via `sudo -n`.
import { existsSync } from 'node:fs';
import { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { ConnectError, StepError } from '../errors.ts';
import type { Host } from '../model.ts';
import { readPrivateFile } from '../private-file.ts';
import type { ExecResult } from '../steps/step.ts';
import type { ConnectionSetup } from '../trace.ts';
import { runOnChannel, sudoAnswerer, type ChannelResult } from './channel-io.ts';
import { commandToSend, type SudoAnswer } from './command-line.ts';
import type { Connection, FollowedCommand } from './connection.ts';
import { StringDecoder } from 'node:string_decoder';
import { lockReader, runLockScript } from './run-lock.ts';
import { parseJump, sshConfigFor } from './ssh-config.ts';
import { hostLookupName, KnownHosts, verifyHostKey, type HostKeyVerdict } from './known-hosts.ts';

export interface SshOptions {
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs?: number;
  /** Attempts for a refused or timed-out connection (not for key or auth failures). */
  connectAttempts?: number;
  /** Default per-command timeout. */
  commandTimeoutMs?: number;
  /** OpenSSH client config to honour (default: $SCALEUP_SSH_CONFIG, else ~/.ssh/config). */
  sshConfigFile?: string;
  /** ssh-agent socket, used when the host has no private key (default: $SSH_AUTH_SOCK). */
  agentSocket?: string;
}

/** Per-command timeout when neither the step nor the connection sets one. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;

const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

function describeRefusal(host: Host, v: Extract<HostKeyVerdict, { ok: false }>, file: string): string {
  switch (v.reason) {
    case 'changed':
      return `HOST KEY CHANGED for ${host.address}: it now presents ${v.type} ${v.fingerprint}, which does not match ${file}. ` +
        'This may be an attack or a reinstalled host; if you know why, remove the old entry and re-run with --accept-new-host-keys.';
    case 'revoked':
      return `host key ${v.type} ${v.fingerprint} of ${host.address} is marked @revoked in ${file}`;
    case 'unknown':
      return `unknown host key ${v.type} ${v.fingerprint} for ${host.address} (not in ${file}). ` +
        'Check the fingerprint (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host), then re-run with --accept-new-host-keys to pin it.';
  }
}

// A refused or reset connection (sshd restarting, a host booting) is tried again at once. A host that
// does not answer within the connect timeout is not: the timeout is the person's whole budget for the
// handshake (`--connect-timeout 5` waits 5 s, not three times that).
function isTransient(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ECONNRESET';
}

export class SshConnection implements Connection {
  #ssh = new NodeSSH();
  #jump?: SshConnection;
  #roundTrips = 0;
  #alive = false;
  #setup?: ConnectionSetup;
  /** A direct connection is always opened by its run. */
  readonly reused = false;

  private constructor(
    readonly host: Host,
    private readonly options: SshOptions,
  ) {}

  get hostName(): string {
    return this.host.name;
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  get setup(): ConnectionSetup | undefined {
    return this.#setup;
  }

  /** False once the link has dropped or the connection was closed. */
  get alive(): boolean {
    return this.#alive;
  }

  static async open(host: Host, options: SshOptions): Promise<SshConnection> {
    const conn = new SshConnection(host, options);
    await conn.#connect();
    return conn;
  }

  async #connect(): Promise<void> {
    const { options } = this;
    const config = sshConfigFor(this.host.address, options.sshConfigFile);
    const host: Host = {
      ...this.host,
      address: config.hostName ?? this.host.address,
      privateKey: this.host.privateKey ?? config.identityFile,
    };
    let sock: NodeJS.ReadableStream | undefined;
    // The inventory's jump host (Ansible's ProxyJump) before the one ~/.ssh/config names for the address.
    const jumpSpec = this.host.proxyJump ?? config.proxyJump;
    if (jumpSpec) {
      // A bastion: connect to it (its key verified the same way), then tunnel to the target.
      const jump = parseJump(jumpSpec);
      const { proxyJump: _target, becomeUser: _asUser, ...direct } = host;
      this.#jump = await SshConnection.open(
        { ...direct, name: `${host.name} (via ${jump.host})`, address: jump.host, port: jump.port, user: jump.user ?? host.user, become: false },
        options,
      );
      sock = await this.#jump.#forward(host.address, host.port);
    }
    const knownHosts = new KnownHosts(options.knownHostsFile);
    const lookupName = hostLookupName(host.address, host.port);
    const knownTypes = [...new Set(knownHosts.lookup(lookupName).filter((k) => !k.revoked).map((k) => k.type))];
    const serverHostKey = knownTypes.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? [t]);
    let refusal: string | undefined;
    let pinned = false;

    let privateKey: string | undefined;
    if (host.privateKey) {
      if (!existsSync(host.privateKey)) throw new ConnectError(host.name, `private key ${host.privateKey} not found`);
      // Refused when others may read or change it, as OpenSSH refuses an unprotected private key.
      privateKey = readPrivateFile(host.privateKey, (reason) => new ConnectError(host.name, `private key ${host.privateKey}: ${reason}`)).toString('utf8');
    }
    const agent = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
    if (!privateKey && !agent) {
      throw new ConnectError(host.name, 'no private key configured and no ssh-agent (SSH_AUTH_SOCK) available');
    }

    const attempts = options.connectAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#ssh.connect({
          host: host.address,
          port: host.port,
          username: host.user,
          sock: sock as never,
          privateKey,
          agent: privateKey ? undefined : agent,
          readyTimeout: options.connectTimeoutMs ?? 10_000,
          keepaliveInterval: 15_000,
          keepaliveCountMax: 3,
          algorithms: serverHostKey.length ? { serverHostKey: serverHostKey as never } : undefined,
          hostVerifier: (key: Buffer) => {
            const verdict = verifyHostKey(knownHosts, lookupName, key, options.acceptNewHostKeys);
            if (!verdict.ok) refusal = describeRefusal(host, verdict, options.knownHostsFile);
            else pinned = Boolean(verdict.pinned);
            return verdict.ok;
          },
        });
        // Small request/response exchanges: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms each.
        this.#ssh.connection?.setNoDelay(true);
        // After the handshake node-ssh listens for errors only while a channel opens: a reset at any
        // other time (host gone, sshd killed mid-command) would be an unhandled 'error' event that
        // crashes the whole run. The channels close with it, so the host is reported lost instead.
        this.#ssh.connection?.on('error', () => {});
        this.#alive = true;
        this.#ssh.connection?.on('close', () => (this.#alive = false));
        this.#setup = {
          link: 'direct', address: host.address, port: host.port, user: host.user, hostKey: pinned ? 'pinned' : 'verified',
          ...(jumpSpec ? { via: jumpSpec } : {}),
        };
        return;
      } catch (err) {
        if (refusal) throw new ConnectError(host.name, refusal);
        const message = err instanceof Error ? err.message : String(err);
        if (attempt >= attempts || !isTransient(err)) {
          const hint = /authentication methods failed/.test(message) ? ` as ${host.user} (check the key and user)` : '';
          throw new ConnectError(host.name, `cannot connect to ${host.address}:${host.port}${hint}: ${message}`);
        }
        await new Promise((r) => setTimeout(r, 300 * attempt));
      }
    }
  }

  #forward(address: string, port: number): Promise<NodeJS.ReadableStream> {
    return new Promise((resolve, reject) => {
      this.#ssh.connection!.forwardOut('127.0.0.1', 0, address, port, (err: Error | undefined, stream: NodeJS.ReadableStream) => (err ? reject(err) : resolve(stream)));
    });
  }

  /**
   * Opens a channel running `line` as given (already wrapped, see command-line.ts) and hands it to
   * `use` at once, inside ssh2's callback: a fast command's output and exit status may arrive in the
   * same packet read as the channel's confirmation, before any later listener could see them.
   * With `openTimeoutMs`, a link that does not answer by then counts as lost: it is closed and the
   * promise rejects, so a caller holding a connection across runs can tell a silently dead one.
   */
  openChannel<T>(line: string, use: (channel: ClientChannel) => T | Promise<T>, openTimeoutMs?: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const client = this.#ssh.connection;
      if (!client || !this.#alive) return reject(new ConnectError(this.host.name, 'connection lost'));
      let settled = false;
      const timer = openTimeoutMs === undefined ? undefined : setTimeout(() => {
        settled = true;
        this.#alive = false;
        this.#ssh.dispose();
        reject(new ConnectError(this.host.name, `connection lost: no answer within ${openTimeoutMs} ms`));
      }, openTimeoutMs);
      try {
        client.exec(line, (err, channel) => {
          if (timer) clearTimeout(timer);
          if (settled) return void channel?.close();
          settled = true;
          if (err) return reject(new ConnectError(this.host.name, `connection lost: ${err.message}`));
          try {
            resolve(use(channel));
          } catch (e) {
            reject(e);
          }
        });
      } catch (err) {
        if (timer) clearTimeout(timer);
        settled = true;
        reject(new ConnectError(this.host.name, `connection lost: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  }

  /** Runs `line` as given, with `stdin` (and sudo's password, when it asks), under a timeout. */
  runLine(line: string, stdin: Buffer | undefined, timeoutMs: number, openTimeoutMs?: number, sudo?: SudoAnswer): Promise<ChannelResult> {
    return this.openChannel(line, (channel) => runOnChannel(channel, stdin, timeoutMs, sudo), openTimeoutMs);
  }

  async exec(command: string, options: { stdin?: string | Buffer; timeoutMs?: number; become?: boolean } = {}): Promise<ExecResult> {
    this.#roundTrips++;
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const send = commandToSend(this.host, command, options.stdin, options.become);
    const result = await this.runLine(send.line, send.stdin, timeoutMs, undefined, send.sudo);
    return execResult(this.host.name, result, timeoutMs);
  }

  /**
   * Takes the host's run lock for as long as this connection lives (see run-lock.ts); with `thenRun`,
   * resolves with that script's stdout once the lock is held.
   */
  async lock(holder: string, thenRun?: string): Promise<string | undefined> {
    const lock = runLockScript(holder, thenRun);
    // As root when the run becomes root: the lock lives in root's directory (run-lock.ts).
    const send = commandToSend(this.host, lock.script, undefined, undefined, { sessionArg: true });
    this.#roundTrips++;
    let opened = false;
    try {
      return await this.openChannel(send.line, (channel) => {
        opened = true;
        const reader = lockReader(lock, this.host.name);
        // The lock is held while stdin stays open: nothing is sent on it but sudo's password.
        if (send.sudo) {
          const answer = sudoAnswerer(send.sudo, channel, () => {});
          channel.stderr.on('data', (c: Buffer) => answer.stderr(c));
        }
        return new Promise<string | undefined>((resolve, reject) => {
          channel.on('data', (chunk: Buffer) => {
            try {
              const held = reader.feed(chunk.toString('utf8'));
              if (held) resolve(held.output);
            } catch (err) {
              reject(err);
            }
          });
          channel.on('close', () => reject(reader.failure()));
        });
      });
    } catch (err) {
      if (opened) throw err;
      throw new ConnectError(this.host.name, `cannot take the run lock: ${(err as ConnectError).reason ?? String(err)}`);
    }
  }

  async follow(command: string, onOutput: (text: string) => void, options: { become?: boolean } = {}): Promise<FollowedCommand> {
    this.#roundTrips++;
    const send = commandToSend(this.host, command, undefined, options.become);
    return this.openChannel(send.line, (channel) => {
      const decoder = new StringDecoder('utf8');
      channel.on('error', () => {});
      channel.on('data', (c: Buffer) => onOutput(decoder.write(c)));
      if (send.sudo) {
        const answer = sudoAnswerer(send.sudo, channel, () => {});
        channel.stderr.on('data', (c: Buffer) => answer.stderr(c));
      } else {
        channel.stderr.resume();
      }
      const ended = new Promise<void>((resolve) => channel.on('close', () => resolve()));
      return { stop: () => channel.end(), ended };
    });
  }

  async close(): Promise<void> {
    this.#alive = false;
    this.#ssh.dispose();
    await this.#jump?.close();
  }
}

/** The engine's view of a finished command: a timeout and a dropped link are errors, any exit code is not. */
export function execResult(hostName: string, result: ChannelResult, timeoutMs: number): ExecResult {
  if (result.timedOut) throw new StepError(`timed out after ${Math.round(timeoutMs / 1000)} s`, { host: hostName });
  // No exit status and no signal: the channel died with the connection (host gone, sshd killed).
  if (result.code === null && !result.signal) throw new ConnectError(hostName, 'connection lost while a command was running');
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.code };
}
