// `provision deploy` and `provision rollback [RELEASE]`: the app tier's rollout commands. A deploy is
// the app plays of the playbook (the app role builds, packs and switches each host to the new release
// with no dropped request, one host at a time as the play's `serial` says); a rollback is the same
// run with `app_release` naming a release the hosts already hold, so nothing is rebuilt and the same
// zero-downtime switch puts it back live. Both take the run lock and write the hosts' release logs.
import type { Command } from 'commander';
import { ConnectError } from '../../core/errors.ts';
import type { Host } from '../../core/model.ts';
import { roleVars } from '../../core/role-plan.ts';
import { releasesOn, type HostAnswer } from '../../stack/releases.ts';
import { rollbackTarget, type HostState } from '../../stack/rollback-target.ts';
import { loadProject } from '../project.ts';
import { projectOptions } from './common-flags.ts';
import { applyOptions, runApply, type ApplyFlags } from './apply.ts';

/** The role whose plays a deploy runs, and whose releases a rollback chooses from. */
const APP_ROLE = 'app';

/**
 * The release a rollback puts back: read from every app host of the run (read-only) before anything
 * changes. A host that cannot be reached stops the rollback: it could not be checked to hold it.
 */
async function chooseRollbackRelease(flags: ApplyFlags, wanted: string | undefined): Promise<string> {
  const project = await loadProject(projectOptions({ ...flags, role: [APP_ROLE] }));
  const app = project.plays.flatMap((p) => p.roles).find((r) => r.name === APP_ROLE)!;
  const hosts = [...new Map(project.plays.flatMap((p) => p.hosts).map((h): [string, Host] => [h.name, h])).values()];
  const answers: HostAnswer[] = await releasesOn(hosts, (h) => String(roleVars(app, h).app_name), project.connect);
  const lost = answers.find((a) => 'unreachable' in a);
  if (lost && 'unreachable' in lost) throw new ConnectError(lost.host, `${lost.unreachable}; nothing was rolled back`);
  return rollbackTarget(answers as HostState[], wanted);
}

export function registerDeployCommands(program: Command): void {
  applyOptions(program.command('deploy').description("Deploy the app: build app_source, then switch each app host to the new release with no dropped request (the playbook's app plays)"))
    .addHelpText('after', `
The new release is started beside the live one and gets traffic only once it answers app_health_path;
a release that does not is stopped, the host keeps serving the old one, and the run exits 2.

Examples:
  provision deploy -i inventory/lab.yml --yes
  provision deploy -i inventory/prod.yml --limit app-02 --yes
  provision deploy -i inventory/prod.yml -e app_source=../site --check
  provision releases -i inventory/prod.yml
`)
    .action(async (flags: ApplyFlags) => {
      process.exitCode = await runApply({ ...flags, role: [...(flags.role ?? []), APP_ROLE] });
    });

  applyOptions(
    program
      .command('rollback [release]')
      .description('Put the previous (or the named) release back live on every app host, with the same zero-downtime switch, without rebuilding'),
  )
    .addHelpText('after', `
RELEASE is a release id (or a unique prefix of 4 digits or more) that every selected app host holds;
\`provision releases\` lists them. Without it, the release that was live before the current one: it
must be the same on every host. The next deploy (or apply) builds app_source again and rolls forward;
set app_release in the inventory to stay on a release.

Examples:
  provision rollback -i inventory/prod.yml --yes
  provision rollback 3f2a9c -i inventory/prod.yml --yes
  provision rollback -i inventory/prod.yml --check
`)
    .action(async (release: string | undefined, flags: ApplyFlags) => {
      const id = await chooseRollbackRelease(flags, release);
      (flags.json === '-' ? process.stderr : process.stdout).write(`rolling back to release ${id}\n`);
      process.exitCode = await runApply({ ...flags, role: [...(flags.role ?? []), APP_ROLE], extraVars: [...(flags.extraVars ?? []), `app_release=${id}`] });
    });
}
