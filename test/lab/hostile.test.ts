// Hostile values on a real host (issue 7): strings full of shell syntax given to every kind of step
// over SSH (through sudo), and a hostile secret through the CLI into a live HAProxy config. Every
// `$(…)` and backtick tries to create /tmp/scaleup-canary (or a relative canary in the command's
// working directory); none may appear on any lab host.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRole } from '../../src/core/apply-role.ts';
import { SshConnection } from '../../src/core/connection/ssh.ts';
import { gatherFacts } from '../../src/core/facts/gather.ts';
import type { Facts } from '../../src/core/facts/facts.ts';
import type { Host } from '../../src/core/model.ts';
import { quote } from '../../src/core/quote.ts';
import { Redactor } from '../../src/core/secret.ts';
import { command, file, sysctl } from '../../src/core/steps/index.ts';
import type { Step } from '../../src/core/steps/step.ts';
import { openSecretsFile } from '../../src/core/vault.ts';
import { labKey, labKnownHosts } from './lab-paths.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision } from './support.ts';

const CANARY = '/tmp/scaleup-canary';
const REL = 'scaleup-canary-rel';
const ALL = Object.keys(LAB_ADDRESSES);
/** Slash-free, so it can be a file name; its commands would touch the relative canary. */
const NASTY = `a b'c"d$(touch ${REL})\`touch ${REL}\`;e|f&g>h*?~!#{x}\\n`;
const RUN_CANARY = `$(touch ${CANARY}) \`touch ${CANARY}\` '"; touch ${CANARY}; #`;

/** Canaries on a host: the absolute one, and relative ones wherever a command may have run. */
async function canaries(host: string): Promise<string> {
  return (await onHost(host, `ls -d ${CANARY} /${REL} /root/${REL} /home/deploy/${REL} /tmp/${REL} 2>/dev/null; true`)).stdout.trim();
}

describe('hostile values never run a command on a host', () => {
  beforeAll(async () => {
    for (const h of ALL) await onHost(h, `rm -f ${CANARY}`);
  });

  afterAll(async () => {
    for (const h of ALL) expect(await canaries(h), h).toBe('');
  });

  describe('every kind of step, over SSH through sudo (web-02)', () => {
    const host: Host = { name: 'web-02', address: LAB_ADDRESSES['web-02']!, privateAddress: LAB_ADDRESSES['web-02']!, port: 22, user: 'deploy', become: true, groups: ['web'], vars: {}, privateKey: labKey };
    const base = `/tmp/scaleup-hostile-${randomBytes(4).toString('hex')}`;
    let conn: SshConnection;
    let facts: Facts;
    const run = (steps: Step[]) => applyRole({
      role: 'hostile', steps, handlers: {}, conn, redactor: new Redactor(), check: false, emit: () => {},
      ctx: { host, facts, vars: {}, hostsIn: () => [], diff: true },
    });

    beforeAll(async () => {
      conn = await SshConnection.open(host, { knownHostsFile: labKnownHosts, acceptNewHostKeys: false });
      facts = await gatherFacts(conn);
    });
    afterAll(async () => {
      await conn.exec(`rm -rf ${quote(base)}`);
      await conn.close();
    });

    it('writes exactly the names, contents and lines given, and converges on them', async () => {
      const dir = `${base}/dir ${NASTY}`;
      const steps: Step[] = [
        file.directory({ path: base, mode: '0755' }),
        file.directory({ path: dir, owner: 'deploy', mode: '0750' }),
        file.content({ dest: `${dir}/file ${NASTY}`, content: `${RUN_CANARY}\n${NASTY}\n`, mode: '0640', validate: 'grep -q scaleup-canary %s' }),
        file.symlink({ path: `${base}/link ${NASTY}`, target: `${dir}/file ${NASTY}` }),
        file.lineinfile({ path: `${base}/conf ${NASTY}`, line: `key = ${RUN_CANARY} ${NASTY}`, regexp: '^key = ' }),
        command.run({ name: 'marker', command: `printf '%s' ${quote(RUN_CANARY)} > ${quote(`${base}/marker ${NASTY}`)}`, creates: `${base}/marker ${NASTY}` }),
        command.run({ name: 'guarded', command: 'false', unless: `test -e ${quote(`${base}/marker ${NASTY}`)}` }),
      ];
      const first = await run(steps);
      expect(first.results.filter((r) => r.status === 'failed')).toEqual([]);
      const q = (p: string) => quote(`${base}/${p}`);
      const out = await conn.exec(
        `cat ${quote(`${dir}/file ${NASTY}`)}; stat -c '%U %a' ${quote(dir)} ${quote(`${dir}/file ${NASTY}`)}; ` +
        `readlink ${q(`link ${NASTY}`)}; cat ${q(`conf ${NASTY}`)} ${q(`marker ${NASTY}`)}`,
      );
      expect(out.stdout).toBe(`${RUN_CANARY}\n${NASTY}\ndeploy 750\nroot 640\n${dir}/file ${NASTY}\nkey = ${RUN_CANARY} ${NASTY}\n${RUN_CANARY}`);
      // The probes read the same names back: nothing left to change.
      expect((await run(steps)).results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    });

    it('a sysctl value with shell syntax is written as text, refused by sysctl, and runs nothing', async () => {
      const conf = `${base}/sysctl ${NASTY}.conf`;
      const outcome = await run([sysctl.value('scaleup.no_such_key', `1 ${RUN_CANARY}`, { file: conf })]);
      expect(outcome.results[0]!.status).toBe('failed');
      expect((await conn.exec(`cat ${quote(conf)}`)).stdout).toBe(`scaleup.no_such_key = 1 ${RUN_CANARY}\n`);
    });

    it('a file in a missing directory fails, naming it, and runs nothing', async () => {
      const outcome = await run([file.content({ dest: `${base}/missing ${RUN_CANARY}/f`, content: 'x' })]);
      expect(outcome.results[0]!.status).toBe('failed');
      expect(outcome.results[0]!.error).toContain(`directory ${base}/missing ${RUN_CANARY} does not exist`);
    });

    it('leaves no canary on the host', async () => {
      expect(await canaries('web-02')).toBe('');
    });
  });

  describe('through the CLI, into a live config (lb-02, the backup load balancer)', () => {
    const hostile = `pa'ss "word" $(touch ${CANARY}) \`touch ${CANARY}\` ;# \\ end`;
    let real = '';
    /** The stats page's status for `password` (none: no credentials), on a new connection each time. */
    const stats = (password?: string) => new Promise<number>((resolve) => {
      const headers: Record<string, string> = { Connection: 'close' };
      if (password !== undefined) headers.Authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
      const req = http.get({ host: LAB_ADDRESSES['lb-02'], port: 8404, path: '/', agent: false, headers, timeout: 3000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });

    /** The reload is asynchronous: wait (up to 10 s) until HAProxy accepts `password`. */
    const accepted = async (password: string) => {
      const until = Date.now() + 10_000;
      while ((await stats(password)) !== 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      return stats(password);
    };

    beforeAll(async () => {
      real = (await openSecretsFile('inventory/lab.secrets.age')).secrets.haproxy_stats_password!.reveal();
    });

    afterAll(async () => {
      // Back to the secrets file's password.
      const back = await apply(['--role', 'haproxy', '--limit', 'lb-02']);
      expect(back.code, back.stderr).toBe(0);
      expect(await accepted(real)).toBe(200);
    });

    it('a stats password full of shell and config syntax is quoted into haproxy.cfg and works as a password', async () => {
      const variant = inventoryVariant('hostile-stats', (doc) => doc.setIn(['groups', 'lb', 'hosts', 'lb-02', 'vars'], { haproxy_stats_password: hostile }));
      try {
        const run = await apply(['--role', 'haproxy', '--limit', 'lb-02'], variant.file);
        expect(run.code, run.stderr).toBe(0);
        expect(run.result.steps.filter((s) => s.status === 'changed').map((s) => s.step)).toEqual(['template /etc/haproxy/haproxy.cfg', 'reload haproxy']);
      } finally {
        variant.remove();
      }
      const line = (await onHost('lb-02', "grep '^    stats auth ' /etc/haproxy/haproxy.cfg")).stdout;
      expect(line).toBe(`    stats auth ${quote(`admin:${hostile}`)}\n`);
      expect(await accepted(hostile)).toBe(200);
      expect(await stats(real)).toBe(401);
      expect(await stats()).toBe(401);
      expect(await canaries('lb-02')).toBe('');
    });

    it('a line break in a config variable is refused before connecting: nothing on the host changes', async () => {
      const before = (await onHost('lb-02', 'sha256sum /etc/haproxy/haproxy.cfg')).stdout;
      const variant = inventoryVariant('hostile-newline', (doc) =>
        doc.setIn(['groups', 'lb', 'vars'], { haproxy_balance: `roundrobin\nglobal\n    insecure-fork-wanted\n    external-check\nbackend web\n    option external-check\n    external-check command /usr/bin/touch` }));
      try {
        const run = await provision(['apply', '-i', variant.file, '--yes', '--role', 'haproxy', '--limit', 'lb-02']);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/^error: inventory\/\.test-hostile-newline\.yml:\d+:\d+: groups\.lb\.vars\.haproxy_balance: role haproxy variable 'haproxy_balance' may not contain a line break/m);
        expect(run.stderr).not.toMatch(/^\s+at /m);
      } finally {
        variant.remove();
      }
      expect((await onHost('lb-02', 'sha256sum /etc/haproxy/haproxy.cfg')).stdout).toBe(before);
    });
  });
});
