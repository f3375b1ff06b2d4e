// The app tier: the user's application (or the sample counter) built and packed once on the control
// node before any host is contacted, sent to each host as one archive into an immutable release
// (/opt/<name>/releases/<id>, switched atomically by the `current` link), its env file, and a
// supervised service on the host's init system.
import { archive, command, defineRole, file, pkg, quote, service, user, type Step } from 'scaleup';
import { secretVar } from '../lib/secret-value.ts';
import { NGINX_FAIL_TIMEOUT_S } from '../shared-vars.ts';
import { buildRelease, controlNodeUser, type Release } from './release.ts';
import { appInstances, appPaths, appSourceDir, healthAddress, switchCommand, appTemplateVars, appVariables, pruneCommand, releaseLogCommand, sharedLinks, validateApp } from './vars.ts';

/** The file in each release folder that says where the release came from (release.ts, Provenance). */
export const PROVENANCE_FILE = '.scaleup.release.json';

export default defineRole({
  name: 'app',
  description: "The user's app (default: the sample counter) as packed, immutable releases, with its env file and a supervised service",
  variables: appVariables,
  required: ['mysql_app_password'],
  prepare(v, ctx) {
    // A release named by app_release is on the hosts already: nothing to build.
    if (v.app_release) return undefined;
    const source = appSourceDir(v.app_source, ctx);
    const links = sharedLinks(v.app_name, v.app_shared_dirs);
    return { key: JSON.stringify([source, v.app_build, links]), run: () => buildRelease(source, v.app_build, links) };
  },
  steps(v, { host, facts, hostsIn, varsOf, prepared }) {
    secretVar(v.mysql_app_password, 'mysql_app_password'); // fail here, naming it, rather than in a template
    // Listing steps (--list-tasks) builds nothing: the release is named by what a run would build.
    const release = prepared as Release | undefined;
    // app_release puts a release the hosts already hold back live (provision rollback): no archive,
    // no migration (it ran when that release was first deployed).
    const pinned = v.app_release || undefined;
    const vars = appTemplateVars(v, host, hostsIn, varsOf, pinned ?? release?.id ?? '<built before connecting>');
    const { paths } = vars;
    const restart = ['restart app'];
    const [main, surge] = appInstances(v.app_name, v.app_surge_port);

    // The service definitions come first, so that `reload systemd` is notified before `restart app`.
    // The surge instance only runs during a switch (app.switch.ejs): nothing to restart when it changes.
    const supervision: Step[] =
      facts.initSystem === 'systemd'
        ? [
            file.template({ src: 'app.service.ejs', dest: paths.unit, mode: '0644', vars: { ...vars, instance: main }, notify: ['reload systemd', ...restart] }),
            file.template({ src: 'app.service.ejs', dest: paths.surgeUnit, mode: '0644', vars: { ...vars, instance: surge }, notify: ['reload systemd'] }),
          ]
        : [
            file.directory({ path: paths.logDir, owner: v.app_user, group: v.app_user, mode: '0750' }),
            ...[main, surge].flatMap((instance) => [
              file.template({ src: 'app.respawn.ejs', dest: instance.respawn, mode: '0755', vars: { ...vars, instance }, notify: instance.surge ? [] : restart }),
              file.template({ src: 'app.init.ejs', dest: instance.initScript, mode: '0755', vars: { ...vars, instance }, notify: instance.surge ? [] : restart }),
            ]),
          ];
    const switchVars = { ...vars, init_system: facts.initSystem, health_address: healthAddress(vars.bind_address), settle_seconds: NGINX_FAIL_TIMEOUT_S + 1, complete_marker: archive.COMPLETE_MARKER };
    // app_migrate runs once per deploy: on the first app host only (serial: 1 makes it the first deployed).
    const migrates = !pinned && Boolean(v.app_migrate.trim()) && hostsIn(v.app_group)[0]?.name === host.name;
    // Kept across releases, and the only places the app may write below /opt/<name>.
    const shared: Step[] = v.app_shared_dirs.length
      ? [
          file.directory({ path: paths.shared, mode: '0755' }),
          ...v.app_shared_dirs.map((d) => file.directory({ path: `${paths.shared}/${d}`, owner: v.app_user, group: v.app_user, mode: '0750' })),
        ]
      : [];

    return [
      pkg.installed(v.app_packages),
      // The switch script's health checks.
      pkg.installed(['curl']),
      user.group({ name: v.app_user, system: true }),
      user.present({ name: v.app_user, system: true, group: v.app_user, home: paths.root, shell: '/usr/sbin/nologin' }),
      ...supervision,
      file.template({ src: 'app.switch.ejs', dest: paths.switchScript, mode: '0755', vars: switchVars }),
      // Code is root's and read-only to the app user.
      file.directory({ path: paths.root, mode: '0755' }),
      file.directory({ path: paths.releases, mode: '0755' }),
      ...shared,
      ...(release && !pinned
        ? [archive.unpacked({ dest: paths.release, archive: release.archive, files: { [PROVENANCE_FILE]: JSON.stringify(release.provenance) + '\n' } })]
        : []),
      file.directory({ path: paths.configDir, group: v.app_user, mode: '0750' }),
      file.template({
        src: 'app.env.ejs',
        dest: paths.envFile,
        // Holds the database password; the app reads it, but may not change it: root sources it too
        // (systemd's EnvironmentFile=, provision verify), so an app that could write it could run
        // commands as root.
        owner: 'root',
        group: v.app_user,
        mode: '0640',
        secret: true,
        vars,
        notify: restart,
      }),
      // The release goes live only once it answers app_health_path on the surge port; the app on
      // app_port restarts while the surge instance serves (app.switch.ejs). Which release is live is
      // read from the host: a second run changes nothing.
      command.run({
        name: pinned ? `put release ${pinned} of ${v.app_name} live (app_release)` : `deploy release ${release?.id ?? ''} of ${v.app_name}`,
        command: switchCommand(paths.switchScript, paths.release, migrates),
        unless: `[ "$(readlink ${quote(paths.current)})" = ${quote(paths.release)} ]`,
        notify: ['record release'],
      }),
      command.run({ name: `prune releases of ${v.app_name}`, ...pruneCommand(paths, v.app_releases_keep) }),
      service.running(v.app_name, { enabled: true }),
    ];
  },
  handlers: (v, { facts, host, hostsIn, varsOf, prepared }) => {
    const release = prepared as Release | undefined;
    const { paths } = appTemplateVars(v, host, hostsIn, varsOf, v.app_release || release?.id || '');
    const entry = v.app_release
      ? { release: v.app_release, action: 'rollback' as const, by: controlNodeUser() }
      : { release: release?.id ?? '', action: 'deploy' as const, ...release?.provenance };
    return {
      ...(facts.initSystem === 'systemd' ? { 'reload systemd': service.daemonReloaded() } : {}),
      'record release': command.run({ name: `record release in ${quote(paths.releaseLog)}`, command: releaseLogCommand(paths.releaseLog, entry) }),
      // A restart (the env file or the unit changed) goes through the same switch, on the live release.
      'restart app': command.run({ name: `restart ${v.app_name} with no dropped request`, command: `${quote(paths.switchScript)} "$(readlink -f ${quote(paths.current)})"` }),
    };
  },
  validate: (inventory, hosts) => validateApp(inventory, hosts),
  // systemd keeps the app's output in its journal; elsewhere its supervisor appends it to a file.
  logs: (v) => [{ unit: v.app_name, files: [`${appPaths(v.app_name, '').logDir}/${v.app_name}.log`] }],
});
