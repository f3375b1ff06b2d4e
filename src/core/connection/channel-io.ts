// One command on an open SSH channel: feed its stdin, collect its output, enforce its timeout.
import type { ClientChannel } from 'ssh2';

export interface ChannelResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
}

export function runOnChannel(channel: ClientChannel, stdin: Buffer | undefined, timeoutMs: number): Promise<ChannelResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let code: number | null = null;
    let signal: string | null = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      channel.signal('KILL');
      channel.close();
    }, timeoutMs);
    channel.on('data', (c: Buffer) => out.push(c));
    channel.stderr.on('data', (c: Buffer) => err.push(c));
    channel.on('exit', (c: number | null, s?: string) => {
      code = c ?? null;
      signal = s ?? null;
    });
    channel.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal, timedOut });
    });
    channel.end(stdin);
  });
}
