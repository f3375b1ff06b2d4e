// The app tier: Node.js from the distribution, the app shipped from the control node as an immutable
// release (/opt/<name>/releases/<hash>, switched atomically by the `current` link), its env file,
// and a supervised service on the host's init system.
import path from 'node:path';
import { command, defineRole, file, pkg, service, user, type Step } from 'scaleup';
import { secretVar } from '../lib/secret-value.ts';
import { appPaths, appTemplateVars, appVariables, pruneCommand, readRelease, validateApp } from './vars.ts';

export default defineRole({
  name: 'app',
  description: 'The Node.js sample app as atomic releases, with its env file and a supervised service',
  variables: appVariables,
  required: ['mysql_app_password'],
  steps(v, { host, facts, hostsIn, dir, varsOf }) {
    secretVar(v.mysql_app_password, 'mysql_app_password'); // fail here, naming it, rather than in a template
    const release = readRelease(dir, v.app_source);
    const vars = appTemplateVars(v, host, hostsIn, varsOf, release.id);
    const { paths } = vars;
    const restart = ['restart app'];

    // The service definition comes first, so that `reload systemd` is notified before `restart app`.
    const supervision: Step[] =
      facts.initSystem === 'systemd'
        ? [file.template({ src: 'app.service.ejs', dest: paths.unit, mode: '0644', vars, notify: ['reload systemd', ...restart] })]
        : [
            file.directory({ path: paths.logDir, owner: v.app_user, group: v.app_user, mode: '0750' }),
            file.template({ src: 'app.respawn.ejs', dest: paths.respawn, mode: '0755', vars, notify: restart }),
            file.template({ src: 'app.init.ejs', dest: paths.initScript, mode: '0755', vars, notify: restart }),
          ];

    return [
      pkg.installed(['nodejs', 'node-mysql']),
      user.group({ name: v.app_user, system: true }),
      user.present({ name: v.app_user, system: true, group: v.app_user, home: paths.root, shell: '/usr/sbin/nologin' }),
      ...supervision,
      // Code is root's and read-only to the app user.
      file.directory({ path: paths.root, mode: '0755' }),
      file.directory({ path: paths.releases, mode: '0755' }),
      file.directory({ path: paths.release, mode: '0755' }),
      ...release.tree.directories.map((d) => file.directory({ path: `${paths.release}/${d}`, mode: '0755' })),
      ...release.tree.files.map((f) => file.content({ dest: path.posix.join(paths.release, f.path), content: f.content, mode: '0644' })),
      file.symlink({ path: paths.current, target: paths.release, notify: restart }),
      command.run({ name: `prune releases of ${v.app_name}`, ...pruneCommand(paths, v.app_releases_keep) }),
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
      service.running(v.app_name, { enabled: true }),
    ];
  },
  handlers: (v, { facts }) => ({
    ...(facts.initSystem === 'systemd' ? { 'reload systemd': service.daemonReloaded() } : {}),
    'restart app': service.restarted(v.app_name),
  }),
  validate: (inventory, hosts) => validateApp(inventory, hosts),
  // systemd keeps the app's output in its journal; elsewhere its supervisor appends it to a file.
  logs: (v) => [{ unit: v.app_name, files: [`${appPaths(v.app_name, '').logDir}/${v.app_name}.log`] }],
});
