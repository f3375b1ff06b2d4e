// Flags shared by every command that talks to hosts.
import type { Command } from 'commander';
import type { ProjectOptions } from '../project.ts';
import { resolveSettings } from '../settings.ts';
import { connectTimeoutFlag, sshPersistFlag } from './numeric-flags.ts';

export interface CommonFlags {
  inventory?: string;
  playbook?: string;
  forks?: number;
  connectTimeout?: number;
  role?: string[];
  limit?: string[];
  tags?: string[];
  skipTags?: string[];
  acceptNewHostKeys?: boolean;
  ageKeyFile?: string;
  sshPersist?: number;
  extraVars?: string[];
  user?: string;
  privateKey?: string;
  become?: boolean;
  startAtRole?: string;
}

/** A repeatable option's values, in order (`-e A=1 -e B=2`). */
export const repeat = (value: string, previous: string[] = []) => [...previous, value];

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];

export function connectOptions(cmd: Command): Command {
  return cmd
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY, else scaleup.yml\'s inventory)')
    .option('-p, --playbook <file>', 'playbook file (default: $SCALEUP_PLAYBOOK, else scaleup.yml\'s playbook, else playbooks/site.yml in the project)')
    .option('-r, --role <name>', 'only these roles (repeatable or comma list)', collect)
    .option('-l, --limit <pattern>', 'only these hosts: host, group, comma list, !exclude, @FILE (a retry file; repeatable)', collect)
    .option('-e, --extra-vars <var>', 'KEY=VALUE or @FILE.yml: variables above every other source (repeatable)', repeat)
    .option('-u, --user <name>', 'SSH user for every host, over the inventory')
    .option('--private-key <file>', 'private key for every host, over the inventory')
    .option('-b, --become', 'run commands through sudo on every host, over the inventory')
    .option('--start-at-role <role>', 'resume the playbook at this role (the roles before it are skipped on every host)')
    .option('-t, --tags <tag>', 'only steps with these tags (a role name selects its steps)', collect)
    .option('--skip-tags <tag>', 'not the steps with these tags (a role name skips its steps)', collect)
    .option('--accept-new-host-keys', 'pin host keys never seen before (a changed key is always refused)')
    .option('--age-key-file <file>', 'age identity that decrypts the secrets file (default: $SCALEUP_AGE_KEY_FILE)')
    .option('--ssh-persist <seconds>', 'keep SSH connections open this long after the run for the next one; 0: none (default: $SCALEUP_SSH_PERSIST, else scaleup.yml, else 60)', sshPersistFlag)
    .option('--connect-timeout <seconds>', 'wait this long for a host\'s SSH handshake (default: $SCALEUP_CONNECT_TIMEOUT, else scaleup.yml, else 10)', connectTimeoutFlag);
}

export function projectOptions(flags: CommonFlags): ProjectOptions {
  return {
    settings: resolveSettings(flags),
    roles: flags.role,
    limit: flags.limit,
    tags: [...(flags.tags ?? []), ...(flags.skipTags ?? [])],
    extraVars: flags.extraVars,
    connection: { user: flags.user, privateKey: flags.privateKey, become: flags.become },
    startAtRole: flags.startAtRole,
    acceptNewHostKeys: Boolean(flags.acceptNewHostKeys),
    ageKeyFile: flags.ageKeyFile ?? process.env.SCALEUP_AGE_KEY_FILE,
  };
}
