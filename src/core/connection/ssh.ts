// One SSH connection per host (node-ssh over ssh2), host key verified against known_hosts before
// authentication, commands through a non-login `sh -c`, become via `sudo -n`.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import { ConnectError, LockedError, StepError } from '../errors.ts';
import type { Host } from '../model.ts';
import { quote } from '../quote.ts';
import { Secret } from '../secret.ts';
import type { ExecResult } from '../steps/step.ts';
import type { Connection } from './connection.ts';
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
}

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

function isTransient(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  const level = (err as { level?: string }).level;
  return code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ECONNRESET' ||
    level === 'client-timeout' || /Timed out while waiting for handshake/.test(String((err as Error).message));
}

export class SshConnection implements Connection {
  #ssh = new NodeSSH();
  #jump?: SshConnection;
  #roundTrips = 0;

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

  static async open(host: Host, options: SshOptions): Promise<SshConnection> {
    const conn = new SshConnection(host, options);
    await conn.#connect();
    return conn;
  }

  async #connect(): Promise<void> {
    const { options } = this;
    const config = sshConfigFor(this.host.address);
    const host: Host = {
      ...this.host,
      address: config.hostName ?? this.host.address,
      privateKey: this.host.privateKey ?? config.identityFile,
    };
    let sock: NodeJS.ReadableStream | undefined;
    if (config.proxyJump) {
      // A bastion: connect to it (its key verified the same way), then tunnel to the target.
      const jump = parseJump(config.proxyJump);
      this.#jump = await SshConnection.open(
        { ...host, name: `${host.name} (via ${jump.host})`, address: jump.host, port: jump.port, user: jump.user ?? host.user, become: false },
        options,
      );
      sock = await this.#jump.#forward(host.address, host.port);
    }
    const knownHosts = new KnownHosts(options.knownHostsFile);
    const lookupName = hostLookupName(host.address, host.port);
    const knownTypes = [...new Set(knownHosts.lookup(lookupName).filter((k) => !k.revoked).map((k) => k.type))];
    const serverHostKey = knownTypes.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? [t]);
    let refusal: string | undefined;

    let privateKey: string | undefined;
    if (host.privateKey) {
      if (!existsSync(host.privateKey)) throw new ConnectError(host.name, `private key ${host.privateKey} not found`);
      privateKey = readFileSync(host.privateKey, 'utf8');
    }
    const agent = process.env.SSH_AUTH_SOCK;
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
            return verdict.ok;
          },
        });
        // Small request/response exchanges: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms each.
        this.#ssh.connection?.setNoDelay(true);
        // After the handshake node-ssh listens for errors only while a channel opens: a reset at any
        // other time (host gone, sshd killed mid-command) would be an unhandled 'error' event that
        // crashes the whole run. The channels close with it, so the host is reported lost instead.
        this.#ssh.connection?.on('error', () => {});
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

  /** The command line sent over SSH: never a login shell; sudo -n so a missing rule fails fast. */
  wrap(command: string, become = this.host.become): string {
    const sh = `sh -c ${quote(command)}`;
    if (!become || this.host.user === 'root') return `exec ${sh}`;
    // With a sudo password (variable `become_password`, from the vault) sudo reads it from the first
    // line of stdin, silently (-p ''); the rest of stdin goes on to the command.
    return this.#becomePassword() ? `sudo -S -p '' -H -- ${sh}` : `sudo -n -H -- ${sh}`;
  }

  #becomePassword(): string | undefined {
    const value = this.host.vars.become_password;
    if (value === undefined || value === null || value === '') return undefined;
    return value instanceof Secret ? value.reveal() : String(value);
  }

  async exec(command: string, options: { stdin?: string | Buffer; timeoutMs?: number; become?: boolean } = {}): Promise<ExecResult> {
    this.#roundTrips++;
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs ?? 600_000;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let stdin: string | Readable | undefined;
    const password = (options.become ?? this.host.become) && this.host.user !== 'root' ? this.#becomePassword() : undefined;
    if (password !== undefined) stdin = Readable.from([Buffer.from(`${password}\n`), Buffer.from(options.stdin ?? '')]);
    else if (Buffer.isBuffer(options.stdin)) stdin = Readable.from([options.stdin]);
    else stdin = options.stdin;
    try {
      const result = await this.#ssh.execCommand(this.wrap(command, options.become), {
        stdin,
        noTrim: true,
        onChannel: (channel) => {
          timer = setTimeout(() => {
            timedOut = true;
            channel.signal('KILL');
            channel.close();
          }, timeoutMs);
        },
      });
      if (timedOut) throw new StepError(`timed out after ${Math.round(timeoutMs / 1000)} s`, { host: this.host.name });
      // No exit status and no signal: the channel died with the connection (host gone, sshd killed).
      if (result.code === null && !result.signal) throw new ConnectError(this.host.name, 'connection lost while a command was running');
      return { stdout: result.stdout, stderr: result.stderr, exitCode: result.code };
    } catch (err) {
      if (err instanceof StepError) throw err;
      throw new ConnectError(this.host.name, `connection lost: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * Takes the host's run lock for as long as this connection lives: a remote `flock` held by a
   * command that waits on its stdin. When this process exits or the link drops, sshd closes that
   * stdin and the lock goes with it — no stale lock to clean up after a crash.
   *
   * `thenRun` (an unprivileged script, e.g. the facts) runs on the same channel once the lock is
   * held, and the promise resolves with its stdout: lock and facts cost one round trip, not two.
   */
  lock(holder: string, thenRun?: string): Promise<string | undefined> {
    // flock on a directory opened read-only works for every user (root runs and sudo runs alike);
    // the holder's description goes in a per-user file beside it, for the "busy" message.
    const dir = '/run/lock/scaleup';
    const end = `__scaleup_end_${randomBytes(8).toString('hex')}`;
    const then = thenRun === undefined ? '' : `( ${thenRun}\n) </dev/null 2>/dev/null; echo; echo ${end}; `;
    const script = `mkdir -p -m 1777 ${dir} 2>/dev/null; exec 9<${dir} || exit 1; ` +
      `if flock -n 9; then printf '%s\\n' ${quote(holder)} > ${dir}/holder-$(id -un) 2>/dev/null; echo locked; ${then}exec cat >/dev/null; ` +
      `else echo "busy $(ls -t ${dir}/holder-* 2>/dev/null | head -1 | xargs cat 2>/dev/null)"; fi`;
    this.#roundTrips++;
    return new Promise((resolve, reject) => {
      // /run/lock is world-writable: no sudo needed (each sudo costs a PAM session on the host).
      this.#ssh.connection!.exec(this.wrap(script, false), (err, channel) => {
        if (err) return reject(new ConnectError(this.host.name, `cannot take the run lock: ${err.message}`));
        let out = '';
        channel.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.startsWith('locked\n')) {
            if (thenRun === undefined) return resolve(undefined);
            const at = out.indexOf(`\n${end}\n`);
            if (at >= 0) resolve(out.slice('locked\n'.length, at));
          } else if (out.includes('\n') && out.startsWith('busy')) {
            reject(new LockedError(this.host.name, `another run holds the lock ${dir} (${out.slice(5).trim() || 'unknown holder'}); wait for it to finish`));
          }
        });
        channel.on('close', () => reject(new ConnectError(this.host.name, `cannot take the run lock: ${out.trim() || 'no answer'}`)));
      });
    });
  }

  async close(): Promise<void> {
    this.#ssh.dispose();
    await this.#jump?.close();
  }
}
