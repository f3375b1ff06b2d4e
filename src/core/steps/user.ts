// Local users and groups (getent to probe; useradd/groupadd/usermod to converge).
import { quote } from '../quote.ts';
import { probeFields } from './probe-output.ts';
import type { Change, Step } from './step.ts';

/** `create`: the user does not exist yet (else the change is made with usermod). */
interface UserChange extends Change {
  create?: boolean;
}

export function group(options: { name: string; system?: boolean; tags?: string[] }): Step {
  const q = quote(options.name);
  return {
    name: `group ${options.name}`,
    tags: options.tags,
    probe: () => `getent group ${q} >/dev/null && echo exists=1 || echo exists=0`,
    decide: (out) => (probeFields(out.stdout).get('exists') === '1' ? [] : [{ summary: 'create' }]),
    apply: async (remote) => {
      await remote.run(`groupadd ${options.system ? '--system ' : ''}${q}`);
    },
  };
}

export function present(options: {
  name: string; system?: boolean; home?: string; shell?: string; group?: string;
  /** Supplementary groups the user must be in (others it is in are left alone). */
  groups?: string[];
  tags?: string[];
}): Step<UserChange> {
  const extra = options.groups ?? [];
  const q = quote(options.name);
  const shell = options.shell ?? (options.system ? '/usr/sbin/nologin' : '/bin/bash');
  const home = options.home ?? (options.system ? '/nonexistent' : `/home/${options.name}`);
  return {
    name: `user ${options.name}`,
    tags: options.tags,
    // getent and one `id -Gn` (it names the primary group first); the fields split by the shell itself.
    probe: () => `e=$(getent passwd ${q}) && { echo exists=1; set -f; IFS=:; set -- $e; unset IFS; ` +
      `echo "home=$6"; echo "shell=$7"; g=$(id -Gn ${q}); echo "group=\${g%% *}"; echo "groups=$g"; } || echo exists=0`,
    decide: (out) => {
      const f = probeFields(out.stdout);
      if (f.get('exists') !== '1') return [{ summary: 'create', create: true }];
      const changes: UserChange[] = [];
      if (f.get('shell') !== shell) changes.push({ summary: `shell ${f.get('shell')} → ${shell}` });
      if (f.get('home') !== home) changes.push({ summary: `home ${f.get('home')} → ${home}` });
      if (options.group && f.get('group') !== options.group) changes.push({ summary: `group ${f.get('group')} → ${options.group}` });
      const member = new Set((f.get('groups') ?? '').split(' '));
      const missing = extra.filter((g) => !member.has(g));
      if (missing.length) changes.push({ summary: `add to ${missing.join(', ')}` });
      return changes;
    },
    apply: async (remote, changes) => {
      const g = options.group ? ` --gid ${quote(options.group)}` : options.system ? ' --user-group' : '';
      if (changes.some((c) => c.create)) {
        const createHome = options.system ? ' --no-create-home' : ' --create-home';
        const groups = extra.length ? ` --groups ${quote(extra.join(','))}` : '';
        await remote.run(`useradd${options.system ? ' --system' : ''}${createHome} --home-dir ${quote(home)} --shell ${quote(shell)}${g}${groups} ${q}`);
      } else {
        const groups = extra.length ? ` --append --groups ${quote(extra.join(','))}` : '';
        await remote.run(`usermod --home ${quote(home)} --shell ${quote(shell)}${options.group ? ` --gid ${quote(options.group)}` : ''}${groups} ${q}`);
      }
    },
  };
}
