// The connection keeper outlives the run that starts it, and any process of the same user can read
// its environment (/proc/PID/environ): it must start with an allow-list of the run's environment,
// never SCALEUP_VAULT_PASSWORD or whatever else the run was given (issue 12, finding 8).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keeperAccess } from '../../src/cli/connection-keeper.ts';
import { packageRoot as projectRoot } from '../../src/package-root.ts';

const CANARY = 'vault-password-canary-4f1e';

/** The pid of the process whose command line holds `needle` (ours: the socket path is unique). */
function pidWith(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(needle)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

describe('the environment the keeper starts with', () => {
  const saved = { argv1: process.argv[1], env: { ...process.env } };
  const started: number[] = [];
  let base: string | undefined;
  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // exited already
      }
    }
    process.argv[1] = saved.argv1!;
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k];
    Object.assign(process.env, saved.env);
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('holds no secret of the run: the real keeper process, read from /proc', async () => {
    if (!existsSync('/proc/self/environ')) return;
    base = mkdtempSync('/tmp/scaleup-kenv-');
    process.argv[1] = path.join(projectRoot, 'bin', 'provision.js');
    process.env.XDG_RUNTIME_DIR = base;
    process.env.SCALEUP_VAULT_PASSWORD = CANARY;
    process.env.AWS_SECRET_ACCESS_KEY = CANARY;
    const access = keeperAccess(60)!;
    expect(access).toBeDefined();
    access.start();
    let pid: number | undefined;
    for (let i = 0; i < 100 && pid === undefined; i++) {
      pid = pidWith(access.socketPath);
      if (pid === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(pid).toBeDefined();
    started.push(pid!);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const names = environ.map((e) => e.slice(0, e.indexOf('=')));
    expect(environ.join('\n')).not.toContain(CANARY);
    expect(names).not.toContain('SCALEUP_VAULT_PASSWORD');
    expect(names).toContain('PATH');
    expect(names).toContain('XDG_RUNTIME_DIR');
  });

  it('is an allow-list: what the keeper reads, nothing else', async () => {
    const { keeperEnvironment } = await import('../../src/cli/connection-keeper.ts');
    const env = keeperEnvironment({
      PATH: '/usr/bin:/bin', HOME: '/home/ops', USER: 'ops', LANG: 'C.UTF-8', TZ: 'UTC',
      SSH_AUTH_SOCK: '/run/user/1000/agent', XDG_RUNTIME_DIR: '/run/user/1000', SCALEUP_SSH_CONFIG: '/etc/scaleup/ssh_config',
      SCALEUP_VAULT_PASSWORD: CANARY, SCALEUP_AGE_KEY_FILE: '/k.agekey', GITHUB_TOKEN: CANARY, NODE_OPTIONS: '--require /tmp/x.js',
    });
    expect(env).toEqual({
      PATH: '/usr/bin:/bin', HOME: '/home/ops', USER: 'ops', LANG: 'C.UTF-8', TZ: 'UTC',
      SSH_AUTH_SOCK: '/run/user/1000/agent', XDG_RUNTIME_DIR: '/run/user/1000', SCALEUP_SSH_CONFIG: '/etc/scaleup/ssh_config',
    });
  });
});
