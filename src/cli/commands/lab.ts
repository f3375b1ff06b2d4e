// `provision lab up|down|status|reset`: the local lab of real Debian hosts (see docs/lab.md).
import { relative } from 'node:path';
import { Command, Option } from 'commander';
import type { ListrTask } from 'listr2';
import { askKeeper } from '../connection-keeper.ts';
import { ScaleupError } from '../../core/errors.ts';
import { DEFAULT_HOSTS, parseHostList } from '../../lab/addresses.ts';
import { LabError } from '../../lab/errors.ts';
import { downSteps, resetSteps, upSteps, type LabStep } from '../../lab/lab.ts';
import { withLabLock } from '../../lab/lock.ts';
import { labPaths } from '../../lab/paths.ts';
import { assertLinuxRoot } from '../../lab/prereqs.ts';
import { INIT_FLAVORS, type InitFlavor } from '../../lab/recipe.ts';
import { labIsUp, labStatus, type LabStatus } from '../../lab/status.ts';

export function registerLabCommands(program: Command): void {
  const lab = program
    .command('lab')
    .description('A local lab of real Debian hosts (network namespaces + overlayfs); needs root')
    .addHelpText('after', `
Examples:
  provision lab up                                   the five stack hosts (lb-01 lb-02 web-01 app-01 db-01)
  provision lab up --hosts lb-01,lb-02,web-01..web-03,app-01,db-01
  provision lab status --json
  provision lab reset web-01                         a pristine web-01, same address and host keys
  provision lab down
Docs: docs/lab.md`);

  lab
    .command('up')
    .description('start the lab hosts and its ACME server (tears down any running lab first) and wait until SSH answers')
    .option('--hosts <names>', 'hosts to start, comma-separated; ranges like web-01..web-20', DEFAULT_HOSTS.join(','))
    .addOption(new Option('--init <flavor>', 'init system in the hosts').choices(INIT_FLAVORS).default('systemd'))
    .addHelpText('after', `
Examples:
  provision lab up
  provision lab up --hosts lb-01,lb-02,web-01,web-02,app-01,db-01
  provision lab up --init sysv --hosts web-01..web-20
`)
    .action(
      guarded(async (opts: { hosts: string; init: InitFlavor }) => {
        const hosts = parseHostList(opts.hosts);
        assertLinuxRoot();
        const paths = labPaths();
        const t0 = Date.now();
        await withLabLock(paths, () => runSteps(upSteps(paths, { hosts, init: opts.init })));
        const status = await labStatus(paths);
        console.log(`\nLab up in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
        printStatus(status);
      }),
    );

  lab
    .command('down')
    .description('stop every lab host and remove its namespaces, mounts, veths and the bridge (safe to repeat)')
    .addHelpText('after', '\nExamples:\n  provision lab down\n')
    .action(
      guarded(async () => {
        assertLinuxRoot();
        const paths = labPaths();
        // Connections kept to the lab hosts would outlive them; the keeper is this installation's.
        await askKeeper('stop');
        await withLabLock(paths, () => runSteps(downSteps(paths)));
      }),
    );

  lab
    .command('status')
    .description('show the lab hosts, the VIP holder and the key paths; exit 0 only while a lab is up')
    .option('--json', 'print JSON: {"hosts":[{"name","address","init","up"}],"vip","vipHolder","sshKey","knownHosts","inventory","tls"}')
    .addHelpText('after', `
Examples:
  provision lab status
  provision lab status --json | jq -r .vipHolder
  curl --cacert "$(provision lab status --json | jq -r .tls.caFile)" --resolve lab.scaleup.test:443:10.77.0.100 https://lab.scaleup.test/
`)
    .action(
      guarded(async (opts: { json?: boolean }) => {
        assertLinuxRoot();
        const status = await labStatus(labPaths());
        if (opts.json) console.log(JSON.stringify(status, null, 2));
        else printStatus(status);
        if (!labIsUp(status)) process.exitCode = 1;
      }),
    );

  lab
    .command('reset')
    .description('give hosts a pristine root filesystem (same address and host keys) and wait for SSH')
    .argument('<hosts...>', 'lab host names, e.g. web-01')
    .addHelpText('after', '\nExamples:\n  provision lab reset web-01\n  provision lab reset app-01 db-01\n')
    .action(
      guarded(async (names: string[]) => {
        assertLinuxRoot();
        const paths = labPaths();
        await withLabLock(paths, async () => runSteps(await resetSteps(paths, names)));
      }),
    );
}

/** Runs an action; a ScaleupError becomes one message on stderr and exit code 1, never a stack trace. */
function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (!(e instanceof ScaleupError)) throw e;
      console.error(`provision lab: ${e.message}`);
      if (e instanceof LabError && e.detail && !e.message.includes(e.detail)) console.error(indent(e.detail));
      process.exitCode = 1;
    }
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function fancyOutput(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.CI;
}

function toListr(step: LabStep): ListrTask {
  return {
    title: step.title,
    task: async (_ctx, task) => {
      if (step.concurrent) {
        return task.newListr(step.concurrent().map(toListr), { concurrent: true, exitOnError: true });
      }
      await step.run?.({ note: (text) => (task.title = `${step.title} (${text})`) });
    },
  };
}

async function runSteps(steps: LabStep[]): Promise<void> {
  const { Listr } = await import('listr2');
  const tasks = new Listr(steps.map(toListr), {
    renderer: fancyOutput() ? 'default' : 'simple',
    exitOnError: true,
    collectErrors: false,
    rendererOptions: { collapseSubtasks: false, showErrorMessage: false },
  });
  await tasks.run();
}

function short(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function printStatus(s: LabStatus): void {
  if (s.hosts.length === 0) {
    console.log('No lab is running (start one with `provision lab up`).');
    return;
  }
  const up = s.hosts.filter((h) => h.up).length;
  console.log(`Lab (${s.hosts[0]!.init}): ${up} of ${s.hosts.length} hosts up`);
  const width = Math.max(...s.hosts.map((h) => h.name.length));
  for (const h of s.hosts) console.log(`  ${h.name.padEnd(width)}  ${h.address.padEnd(12)}  ${h.up ? 'up' : 'DOWN'}`);
  console.log(`VIP ${s.vip}: ${s.vipHolder ? `held by ${s.vipHolder}` : 'not held'}`);
  console.log(`Inventory: ${short(s.inventory)}`);
  if (s.tls) {
    console.log(`ACME server: ${s.tls.acmeDirectory} (trust ${s.tls.acmeCaFile}); ${s.tls.domain} → ${s.vip}, certificates chain to ${s.tls.caFile}`);
  }
  const first = s.hosts[0]!;
  console.log(
    `SSH: ssh -i ${short(s.sshKey)} -o UserKnownHostsFile=${short(s.knownHosts)} deploy@${first.address}   (or root@)`,
  );
}
