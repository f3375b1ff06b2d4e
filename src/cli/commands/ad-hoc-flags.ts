// The flags of the commands that reach hosts outside a playbook run (`exec`, `logs`): the inventory,
// how to connect (as `apply` takes them), and how many hosts at once.
import type { Command } from 'commander';
import { connectTimeoutFlag, forksFlag, sshPersistFlag } from './numeric-flags.ts';

/** `forksShort`: `-f` for --forks, as apply has it (logs keeps `-f` for --follow, as journalctl and tail do). */
export function adHocOptions(cmd: Command, forksShort = true): Command {
  return cmd
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY, else scaleup.yml\'s inventory)')
    .option(forksShort ? '-f, --forks <n>' : '--forks <n>', 'hosts worked on in parallel (default: $SCALEUP_FORKS, else scaleup.yml, else 10)', forksFlag)
    .option('-u, --user <name>', 'SSH user for every host, over the inventory')
    .option('--private-key <file>', 'private key for every host, over the inventory')
    .option('-b, --become', 'run through sudo on every host, over the inventory')
    .option('--accept-new-host-keys', 'pin host keys never seen before (a changed key is always refused)')
    .option('--age-key-file <file>', 'age identity that decrypts the secrets file (default: $SCALEUP_AGE_KEY_FILE)')
    .option('--ssh-persist <seconds>', 'keep SSH connections open this long for the next run; 0: none (default: $SCALEUP_SSH_PERSIST, else scaleup.yml, else 60)', sshPersistFlag)
    .option('--connect-timeout <seconds>', 'wait this long for a host\'s SSH handshake (default: $SCALEUP_CONNECT_TIMEOUT, else scaleup.yml, else 10)', connectTimeoutFlag);
}
