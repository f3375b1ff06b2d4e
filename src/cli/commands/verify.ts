// `provision verify`: the running stack, end to end, as a table; exit 0 only if every check passes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openSsh } from '../../core/connection/open.ts';
import { keeperAccess } from '../connection-keeper.ts';
import { resolveSettings } from '../settings.ts';
import { measureFailover } from '../../stack/failover.ts';
import { verifyStack, type StackView } from '../../stack/verify.ts';
import { ScaleupError } from '../../core/errors.ts';
import { safeHostLine } from '../../core/host-text.ts';
import { EXIT } from '../exit-codes.ts';
import { loadInventoryWithSecrets } from '../project.ts';
import { palette, useColor } from '../render/style.ts';
import { sshPersistFlag } from './numeric-flags.ts';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('Check the running stack: VIP → HAProxy → nginx → app → MySQL (over HTTPS when tls_mode is set), and who may reach the database')
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY, else scaleup.yml\'s inventory)')
    .option('--failover', 'also stop HAProxy on the VIP holder, time the takeover, and restore it')
    .option('--json', 'print the checks as JSON')
    .option('--tls-ca-file <file>', "with tls_mode set: verify the site's certificate with this CA (PEM) instead of the system's CAs (self-signed mode uses the project's CA by itself; acme from a private ACME server: its root)")
    .option('--age-key-file <file>', 'age identity that decrypts the secrets file')
    .option('--ssh-persist <seconds>', 'keep SSH connections open this long for the next run; 0: none (default: $SCALEUP_SSH_PERSIST, else scaleup.yml, else 60)', sshPersistFlag)
    .addHelpText('after', '\nExamples:\n  provision verify -i inventory/lab.yml\n  provision verify -i inventory/lab.yml --failover\n  provision verify -i inventory/tls.yml --json   # tls_mode set: chain, expiry, 80→301, HSTS, same certificate on every lb\n  provision verify -i inventory/prod.yml --tls-ca-file certs/internal-ca.pem\n  provision verify -i inventory/acme.yml --tls-ca-file "$(provision lab status --json | jq -r .tls.caFile)"   # acme mode against the lab\'s pebble\n')
    .action(async (flags: { inventory?: string; failover?: boolean; json?: boolean; ageKeyFile?: string; sshPersist?: number; tlsCaFile?: string }) => {
      const settings = resolveSettings({ inventory: flags.inventory, sshPersist: flags.sshPersist });
      if (flags.tlsCaFile && !existsSync(flags.tlsCaFile)) throw new ScaleupError(`--tls-ca-file ${flags.tlsCaFile}: no such file`);
      const keeper = keeperAccess(settings.sshPersistSeconds);
      const inventory = await loadInventoryWithSecrets(settings.inventory, flags.ageKeyFile ?? process.env.SCALEUP_AGE_KEY_FILE);
      const view: StackView = {
        inventory,
        connect: (host) => openSsh(host, { knownHostsFile: inventory.knownHosts, acceptNewHostKeys: false, connectTimeoutMs: settings.connectTimeoutSeconds * 1000 }, keeper),
        projectRoot: settings.project.root,
        tlsCaFile: flags.tlsCaFile ? path.resolve(flags.tlsCaFile) : undefined,
      };
      const checks = await verifyStack(view);
      if (flags.failover) {
        const f = await measureFailover(view);
        checks.push({ name: 'failover: VIP answers from the other lb after HAProxy stops', ok: f.ok && (f.seconds ?? 99) <= 5, detail: f.detail });
      }
      // The last line of defence: a check's text may quote a host (verifyStack escapes its own).
      for (const check of checks) Object.assign(check, { name: safeHostLine(check.name), detail: safeHostLine(check.detail) });
      if (flags.json) {
        process.stdout.write(JSON.stringify({ ok: checks.every((c) => c.ok), checks }, null, 2) + '\n');
      } else {
        const c = palette(useColor());
        const width = Math.max(...checks.map((x) => x.name.length));
        for (const check of checks) {
          process.stdout.write(`${check.ok ? c.ok('PASS') : c.failed('FAIL')}  ${check.name.padEnd(width)}  ${c.dim(check.detail)}\n`);
        }
        const failed = checks.filter((x) => !x.ok).length;
        process.stdout.write(failed ? c.failed(`${failed} of ${checks.length} checks failed\n`) : c.ok(`all ${checks.length} checks passed\n`));
      }
      process.exitCode = checks.every((x) => x.ok) ? EXIT.ok : EXIT.stepFailed;
    });
}
