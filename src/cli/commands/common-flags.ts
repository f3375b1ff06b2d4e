// Flags shared by every command that talks to hosts.
import type { Command } from 'commander';
import { sshPersistSeconds } from '../connection-keeper.ts';
import type { ProjectOptions } from '../project.ts';
import { sshPersistFlag } from './numeric-flags.ts';

export interface CommonFlags {
  inventory?: string;
  playbook: string;
  role?: string[];
  limit?: string[];
  tags?: string[];
  acceptNewHostKeys?: boolean;
  ageKeyFile?: string;
  sshPersist?: number;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];

export function connectOptions(cmd: Command): Command {
  return cmd
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY)')
    .option('-p, --playbook <file>', 'playbook file', 'playbooks/site.yml')
    .option('-r, --role <name>', 'only these roles (repeatable or comma list)', collect)
    .option('-l, --limit <pattern>', 'only these hosts: host, group, comma list, !exclude (repeatable)', collect)
    .option('-t, --tags <tag>', 'only steps with these tags (a role name selects its steps)', collect)
    .option('--accept-new-host-keys', 'pin host keys never seen before (a changed key is always refused)')
    .option('--age-key-file <file>', 'age identity that decrypts the secrets file (default: $SCALEUP_AGE_KEY_FILE)')
    .option('--ssh-persist <seconds>', 'keep SSH connections open this long after the run for the next one; 0: none (default: $SCALEUP_SSH_PERSIST, else 60)', sshPersistFlag);
}

export function projectOptions(flags: CommonFlags): ProjectOptions {
  return {
    inventory: flags.inventory ?? process.env.SCALEUP_INVENTORY,
    playbook: flags.playbook,
    roles: flags.role,
    limit: flags.limit,
    acceptNewHostKeys: Boolean(flags.acceptNewHostKeys),
    ageKeyFile: flags.ageKeyFile ?? process.env.SCALEUP_AGE_KEY_FILE,
    sshPersistSeconds: sshPersistSeconds(flags.sshPersist),
  };
}
