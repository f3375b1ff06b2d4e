// One command on an open SSH channel: feed its stdin, collect its output, enforce its timeout — and,
// for a host with a sudo password, answer sudo's prompt (command-line.ts, SudoAnswer).
import type { ClientChannel } from 'ssh2';
import type { SudoAnswer } from './command-line.ts';

export interface ChannelResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
}

export function runOnChannel(channel: ClientChannel, stdin: Buffer | undefined, timeoutMs: number, sudo?: SudoAnswer): Promise<ChannelResult> {
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
    const answer = sudo ? sudoAnswerer(sudo, channel, () => channel.end(stdin)) : undefined;
    channel.on('data', (c: Buffer) => out.push(c));
    channel.stderr.on('data', (c: Buffer) => {
      if (!answer) return void err.push(c);
      const passed = answer.stderr(c);
      if (passed) err.push(passed);
    });
    channel.on('exit', (c: number | null, s?: string) => {
      code = c ?? null;
      signal = s ?? null;
    });
    channel.on('close', () => {
      clearTimeout(timer);
      const rest = answer?.flush();
      if (rest) err.push(rest);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal, timedOut });
    });
    if (!answer) channel.end(stdin);
  });
}

/**
 * Watches stderr until the command announces itself: the password goes out once, after sudo's prompt
 * (a second prompt means it was refused: stdin is closed and sudo gives up); `onReady` runs at the
 * announcement (a command gets its stdin then). The markers never reach the result.
 */
export function sudoAnswerer(sudo: SudoAnswer, channel: ClientChannel, onReady: () => void) {
  let pending = '';
  let started = false;
  let answered = false;
  return {
    /** What of this chunk belongs in the command's stderr (undefined while it may hold a marker). */
    stderr(chunk: Buffer): Buffer | undefined {
      if (started) return chunk;
      pending += chunk.toString('utf8');
      for (let at = pending.indexOf(sudo.prompt); at >= 0; at = pending.indexOf(sudo.prompt)) {
        pending = pending.slice(0, at) + pending.slice(at + sudo.prompt.length);
        if (answered) channel.end();
        else channel.write(`${sudo.password}\n`);
        answered = true;
      }
      const ready = pending.indexOf(`${sudo.ready}\n`);
      if (ready < 0) return undefined;
      started = true;
      const before = pending.slice(0, ready);
      const after = pending.slice(ready + sudo.ready.length + 1);
      pending = '';
      onReady();
      return before || after ? Buffer.from(before + after) : undefined;
    },
    /** sudo's own messages when the command never started (a refused password, no rule). */
    flush(): Buffer | undefined {
      const rest = started ? '' : pending.split(sudo.prompt).join('');
      return rest ? Buffer.from(rest) : undefined;
    },
  };
}
