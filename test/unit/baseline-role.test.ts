// The baseline role as the engine builds it: its steps in order, what each template renders to,
// how files are validated before they go live, a converged host (every step decides []), and the
// variable checks made before connecting.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import baseline from '../../roles/baseline/index.ts';
import { baselineDefaults, validateBaseline } from '../../roles/baseline/vars.ts';
import { rolesDir, templatesOf } from './builtin-roles.ts';
import type { Step, StepContext } from '../../src/core/steps/step.ts';
import { labInventory, recordingRemote, roleOn, stepNamed, written } from './roles-fixtures.ts';

const lab = labInventory();
const web = () => roleOn(baseline, lab, 'web-01');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq0lJqrZjPsI0xG0n8GAn4kxFpBzZ1nK0wJ8b9nqPX+ alice@laptop';

describe('baseline steps', () => {
  it('are the 16 steps of the baseline, in order', () => {
    expect(web().steps.map((s) => s.name)).toEqual([
      'package curl rsyslog logrotate python3-apt lsof psmisc',
      'file /etc/apt/apt.conf.d/80-scaleup-baseline',
      'group ops',
      'user ops',
      'directory /home/ops/.ssh',
      'file /home/ops/.ssh/authorized_keys',
      'template /etc/sudoers.d/scaleup-ops',
      'directory /var/log/scaleup',
      'template /etc/rsyslog.d/50-scaleup.conf',
      'template /etc/logrotate.d/scaleup',
      'lineinfile /etc/logrotate.conf',
      'template /etc/motd',
      'sysctl net.core.somaxconn',
      'sysctl net.ipv4.tcp_fin_timeout',
      'sysctl net.ipv4.ip_local_port_range',
      'service rsyslog running',
    ]);
  });

  it('has one sysctl step per baseline_sysctl entry, all persisted in one file', async () => {
    const run = roleOn(baseline, labInventory({ all: { baseline_sysctl: { 'net.core.somaxconn': 1024 } } }), 'db-01');
    const sysctls = run.steps.filter((s) => s.name.startsWith('sysctl '));
    expect(sysctls.map((s) => s.name)).toEqual(['sysctl net.core.somaxconn']);
    const remote = recordingRemote();
    await sysctls[0]!.apply(remote, [{ summary: 'persist' }], run.ctx);
    expect(remote.calls[0]!.command).toContain('/etc/sysctl.d/60-scaleup-baseline.conf');
    expect(remote.calls[1]!.command).toContain("sysctl -q -w net.core.somaxconn=1024");
  });

  it('only the rsyslog rule notifies a handler, and the handler restarts rsyslog', () => {
    const run = web();
    expect(run.steps.filter((s) => s.notify?.length).map((s) => [s.name, s.notify])).toEqual([
      ['template /etc/rsyslog.d/50-scaleup.conf', ['restart rsyslog']],
    ]);
    expect(Object.keys(run.handlers)).toEqual(['restart rsyslog']);
    expect(run.handlers['restart rsyslog']!.name).toBe('restart rsyslog');
  });
});

describe('baseline files', () => {
  const templates = readdirSync(templatesOf('baseline')).filter((f) => f.endsWith('.ejs'));

  it.each(templates.filter((f) => f !== 'motd.ejs'))('%s says it is managed, on its first line', (file) => {
    const source = readFileSync(path.join(templatesOf('baseline'), file), 'utf8');
    expect(source.replace(/^<%[\s\S]*?-%>\n/, '').split('\n')[0]).toBe('# managed by scaleup — local edits are overwritten');
  });

  it('sudoers: no rule by default (reading logs and status needs none), 0440, checked by visudo on the staged copy', async () => {
    const { content, script } = await written(web(), '/etc/sudoers.d/scaleup-ops');
    expect(content).not.toMatch(/^[^#]/m);
    expect(script).toContain('dest=/etc/sudoers.d/scaleup-ops\n');
    expect(script).toContain('chmod 0440 /proc/self/fd/9\n');
    expect(script).toContain('if ! ( visudo -c -q -f "$PWD/$tmp" ) >&2; then exit 97');
    // sudo skips files with a dot in sudoers.d: the staged copy is never live.
    expect(script).toContain('tmp=".$name.scaleup-$(printf %s $r)"');
  });

  it('sudoers: exact command lines only; a command alone may run with no arguments', async () => {
    const run = roleOn(baseline, labInventory({ all: { baseline_ops_sudo_commands: ['/usr/bin/systemctl restart nginx', '/usr/sbin/nginx'] } }), 'web-01');
    const { content } = await written(run, '/etc/sudoers.d/scaleup-ops');
    expect(content).toContain('Cmnd_Alias SCALEUP_OPS = /usr/bin/systemctl restart nginx, \\\n    /usr/sbin/nginx ""\n%ops ALL=(root) NOPASSWD: SCALEUP_OPS\n');
  });

  it('the ops user reads logs through groups: adm and systemd-journal (adm only without systemd)', () => {
    expect(web().steps.find((s) => s.name === 'user ops')).toBeDefined();
    const sysv = roleOn(baseline, lab, 'web-01', { initSystem: 'sysv' });
    const probe = (r: typeof sysv) => r.steps.find((s) => s.name === 'user ops')!;
    const member = 'exists=1\nhome=/home/ops\nshell=/bin/bash\ngroup=ops\ngroups=ops\n';
    expect(probe(web()).decide({ stdout: member, exitCode: 0 }, web().ctx)).toEqual([{ summary: 'add to adm, systemd-journal' }]);
    expect(probe(sysv).decide({ stdout: member, exitCode: 0 }, sysv.ctx)).toEqual([{ summary: 'add to adm' }]);
  });

  it('sudoers: no commands, no rule', async () => {
    const run = roleOn(baseline, labInventory({ all: { baseline_ops_sudo_commands: [] } }), 'web-01');
    const { content } = await written(run, '/etc/sudoers.d/scaleup-ops');
    expect(content).not.toMatch(/^[^#]/m);
  });

  it('rsyslog: the listed programs go to stack.log in the log dir, checked with rsyslogd -N1', async () => {
    const run = roleOn(baseline, labInventory({ all: { baseline_log_programs: ['haproxy', 'nginx'], baseline_log_dir: '/var/log/ops' } }), 'lb-01');
    const { content, script } = await written(run, '/etc/rsyslog.d/50-scaleup.conf');
    expect(content).toContain("if $programname == 'haproxy' or $programname == 'nginx' then {\n");
    expect(content).toContain('action(type="omfile" file="/var/log/ops/stack.log"');
    expect(content).toContain('fileGroup="adm" fileCreateMode="0640"');
    expect(script).toContain('rsyslogd -N1 -f "$PWD/$tmp" )');
  });

  it('logrotate: the log dir, frequency and count, checked with logrotate -d', async () => {
    const run = roleOn(baseline, labInventory({ all: { baseline_logrotate_frequency: 'daily', baseline_logrotate_keep: 14 } }), 'app-01');
    const { content, script } = await written(run, '/etc/logrotate.d/scaleup');
    expect(content).toContain('/var/log/scaleup/*.log {\n    daily\n    rotate 14\n');
    expect(content).toContain('        /usr/lib/rsyslog/rsyslog-rotate\n');
    expect(script).toContain('logrotate -d "$PWD/$tmp" )');
  });

  it('motd names the host and its groups, and the contact when there is one', async () => {
    expect((await written(web(), '/etc/motd')).content).toBe('\n  web-01 (web): managed by scaleup, local edits are overwritten.\n\n');
    const run = roleOn(baseline, labInventory({ hostVars: { 'db-01': { baseline_motd_contact: 'dba@example.com' } } }), 'db-01');
    expect((await written(run, '/etc/motd')).content).toContain('  Contact: dba@example.com\n');
  });

  it('authorized_keys of the ops user: one line per key, 0600, owned by ops', async () => {
    const run = roleOn(baseline, labInventory({ all: { baseline_ops_authorized_keys: [KEY] } }), 'web-01');
    const { content, script } = await written(run, '/home/ops/.ssh/authorized_keys');
    expect(content).toBe(`# managed by scaleup — local edits are overwritten\n${KEY}\n`);
    expect(script).toContain('chown ops:ops /proc/self/fd/9');
    expect(script).toContain('chmod 0600 /proc/self/fd/9');
  });

  it('apt retries', async () => {
    const { content } = await written(web(), '/etc/apt/apt.conf.d/80-scaleup-baseline');
    expect(content).toBe('// managed by scaleup — local edits are overwritten\nAcquire::Retries "3";\n');
  });
});

/** What the probe of `step` prints on a host where it is already converged. */
async function convergedOutput(step: Step, ctx: StepContext): Promise<string> {
  const name = step.name;
  const sha = async () => {
    const remote = recordingRemote();
    await step.apply(remote, await step.decide({ stdout: 'exists=0\n', exitCode: 0 }, ctx), ctx);
    return createHash('sha256').update(remote.calls.at(-1)!.stdin ?? '').digest('hex');
  };
  if (name.startsWith('package ')) return name.slice(8).split(' ').map((p) => `${p}\tii \n`).join('');
  if (name === 'group ops') return 'exists=1\n';
  if (name === 'user ops') return 'exists=1\nhome=/home/ops\nshell=/bin/bash\ngroup=ops\ngroups=ops adm systemd-journal\n';
  if (name === 'directory /home/ops/.ssh') return 'exists=1\ntype=directory\nowner=ops\ngroup=ops\nmode=700\n';
  if (name === 'directory /var/log/scaleup') return 'exists=1\ntype=directory\nowner=root\ngroup=adm\nmode=750\n';
  if (name === 'file /home/ops/.ssh/authorized_keys') return `exists=1\nowner=ops\ngroup=ops\nmode=600\nsha256=${await sha()}\n`;
  if (name === 'template /etc/sudoers.d/scaleup-ops') return `exists=1\nowner=root\ngroup=root\nmode=440\nsha256=${await sha()}\n`;
  if (name.startsWith('file ') || name.startsWith('template ')) return `exists=1\nowner=root\ngroup=root\nmode=644\nsha256=${await sha()}\n`;
  if (name.startsWith('lineinfile ')) return 'exists=1\npresent=1\nmatches=1\n';
  if (name === 'sysctl net.ipv4.ip_local_port_range') return 'live=10240\t65535\npersisted=1\n';
  if (name.startsWith('sysctl ')) return `live=${String(ctx.vars.baseline_sysctl && (ctx.vars.baseline_sysctl as Record<string, unknown>)[name.slice(7)])}\npersisted=1\n`;
  // systemd answers with `systemctl show` properties; the sysv probe prints its own key=value lines.
  if (name.startsWith('service ')) return ctx.facts.initSystem === 'systemd' ? 'ActiveState=active\nUnitFileState=enabled\n' : 'active=active\nenabled=enabled\n';
  throw new Error(`no converged fixture for ${name}`);
}

describe('a converged host', () => {
  it.each(['systemd', 'sysv'] as const)('every step decides [] (%s)', async (initSystem) => {
    const run = roleOn(baseline, lab, 'lb-02', { initSystem });
    for (const step of run.steps) {
      const stdout = await convergedOutput(step, run.ctx);
      expect({ step: step.name, changes: await step.decide({ stdout, exitCode: 0 }, run.ctx) }).toEqual({ step: step.name, changes: [] });
    }
  });

  it('a drifted host: a missing package, a wrong mode, logrotate.conf without compress', async () => {
    const run = web();
    const pkg = run.steps[0]!;
    expect(await pkg.decide({ stdout: 'curl\tii \nrsyslog\tii \nlogrotate\tun \n', exitCode: 0 }, run.ctx)).toEqual([
      { summary: 'install logrotate python3-apt lsof psmisc', packages: ['logrotate', 'python3-apt', 'lsof', 'psmisc'] },
    ]);
    const logDir = stepNamed(run, 'directory /var/log/scaleup');
    expect(await logDir.decide({ stdout: 'exists=1\ntype=directory\nowner=root\ngroup=adm\nmode=755\n', exitCode: 0 }, run.ctx)).toEqual([
      { summary: 'mode 0755 → 0750' },
    ]);
    const rsyslog = stepNamed(run, 'service rsyslog running');
    expect(rsyslog.probe(run.ctx)).toBe("systemctl show -p ActiveState -p UnitFileState -- rsyslog 2>/dev/null");
    expect(await rsyslog.decide({ stdout: 'ActiveState=failed\nUnitFileState=disabled\n', exitCode: 0 }, run.ctx)).toEqual([
      { summary: 'start', action: 'start' }, { summary: 'enable', action: 'enable' },
    ]);
    const compress = stepNamed(run, 'lineinfile /etc/logrotate.conf');
    expect(await compress.decide({ stdout: 'exists=1\nmatches=1\n', exitCode: 0 }, run.ctx)).toEqual([{ summary: 'replace matching line' }]);
  });
});

describe('baseline variables, checked before connecting', () => {
  const hosts = () => [...lab.hosts.values()];

  it('the defaults pass', () => {
    expect(validateBaseline(lab, hosts())).toEqual([]);
    expect(baseline.validate!(lab, hosts(), { projectRoot: '.' })).toEqual([]);
  });

  it('names the variable and host of each bad value', () => {
    const inv = labInventory({
      hostVars: {
        'web-01': {
          baseline_ops_user: 'ops user',
          baseline_ops_sudo_commands: ['/bin/ls, /bin/sh'],
          baseline_ops_read_groups: ['adm wheel'],
          baseline_sysctl: { 'net.core.somaxconn': '1024;reboot', somaxconn: 1 },
          baseline_ops_authorized_keys: ['not a key'],
          baseline_log_dir: 'var/log',
          baseline_logrotate_frequency: 'hourly',
        },
      },
    });
    expect(validateBaseline(inv, [inv.hosts.get('web-01')!])).toEqual([
      "web-01: baseline_ops_user 'ops user' is not a valid user/group name",
      "web-01: baseline_log_dir 'var/log' must be an absolute path without spaces or quotes",
      'web-01: baseline_ops_read_groups must be a list of group names',
      'web-01: baseline_ops_sudo_commands must be a list of exact commands: an absolute path and plain arguments, one space apart (no wildcards * ? [ ], no , : = \\ " or newlines)',
      'web-01: baseline_ops_authorized_keys must be a list of SSH public key lines',
      'web-01: baseline_logrotate_frequency must be daily, weekly or monthly',
      'web-01: baseline_sysctl.net.core.somaxconn must be a number or a string of letters, digits and spaces',
      "web-01: baseline_sysctl key 'somaxconn' is not a kernel parameter name like net.core.somaxconn",
    ]);
  });

  it('refuses every sudo command with a wildcard or sudoers syntax in it (service * status ran ../../evil as root)', () => {
    for (const bad of ['/usr/sbin/service * status', '/usr/bin/journalctl --no-pager *', '/bin/cat /var/log/?', '/bin/ls [a]', '/bin/a "x"', 'ALL', '/bin/x  y']) {
      const inv = labInventory({ all: { baseline_ops_sudo_commands: [bad] } });
      expect(validateBaseline(inv, [inv.hosts.get('web-01')!]), bad).toHaveLength(1);
    }
    const ok = labInventory({ all: { baseline_ops_sudo_commands: ['/usr/bin/systemctl restart nginx', '/usr/sbin/nginx -t'] } });
    expect(validateBaseline(ok, hosts())).toEqual([]);
  });

  it('accepts a real key line with options', () => {
    const inv = labInventory({ all: { baseline_ops_authorized_keys: [`from="10.77.0.1" ${KEY}`] } });
    expect(validateBaseline(inv, hosts())).toEqual([]);
  });

  it('every variable is in the README table', () => {
    const readme = readFileSync(path.join(rolesDir, 'baseline', 'README.md'), 'utf8');
    for (const key of Object.keys(baselineDefaults)) expect(readme).toContain(`| \`${key}\` |`);
  });
});
