// A host is ready when it answers SSH as root with the lab key and the host key in the lab's known_hosts,
// which proves sshd runs, the seed is in place and the network path works.
import { LabError } from './errors.ts';
import { run } from './exec.ts';
import type { LabPaths } from './paths.ts';
import { sleep } from './processes.ts';

/** OpenSSH client options for reaching a lab host, ignoring the person's own ssh config. */
export function labSshOptions(paths: Pick<LabPaths, 'sshKey' | 'knownHosts'>): string[] {
  return [
    '-F', '/dev/null',
    '-i', paths.sshKey,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${paths.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=3',
    '-o', 'LogLevel=ERROR',
  ];
}

/**
 * Retries `ssh root@ADDRESS true` until it succeeds. `alive` is asked between attempts so a host that died
 * while booting fails at once, with its console, instead of at the deadline.
 */
export async function waitForSsh(
  paths: LabPaths,
  address: string,
  opts: { timeoutMs: number; alive: () => boolean; describeDeath: () => Promise<string> },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    const res = await run('ssh', [...labSshOptions(paths), `root@${address}`, 'true'], {
      allowFail: true,
      timeoutMs: 10_000,
    });
    if (res.code === 0) return;
    last = res.stderr.trim();
    if (!opts.alive()) throw new LabError(`${address}: host stopped while booting`, await opts.describeDeath());
    if (Date.now() > deadline) {
      throw new LabError(`${address}: no SSH after ${Math.round(opts.timeoutMs / 1000)} s${last ? ` (${last})` : ''}`);
    }
    await sleep(150);
  }
}
