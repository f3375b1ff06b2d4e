// The host baseline every server gets before its tier's role: base tools, an operators' user and
// group with a narrow sudo rule, the stack's logs in one rotated place, a few network kernel
// parameters, and a login banner. Also the shared workload of the Ansible comparison in bench/.
import { defineRole, file, pkg, service, sysctl, user } from 'scaleup';
import { baselineVariables, validateBaseline } from './vars.ts';

/** First line of every file this role writes that has no template (apt reads `//` comments). */
const MANAGED = 'managed by scaleup — local edits are overwritten';

export default defineRole({
  name: 'baseline',
  description: 'Host baseline: tools, ops user + sudo rule, logs in one rotated place, sysctl, motd',
  variables: baselineVariables,
  steps(v, { facts }) {
    const ops = v.baseline_ops_user;
    const home = `/home/${ops}`;
    // journald's group exists only where journald runs.
    const readGroups = v.baseline_ops_read_groups.filter((g) => g !== 'systemd-journal' || facts.initSystem === 'systemd');
    return [
      pkg.installed(v.baseline_packages),
      file.content({
        dest: '/etc/apt/apt.conf.d/80-scaleup-baseline',
        content: `// ${MANAGED}\nAcquire::Retries "${v.baseline_apt_retries}";\n`,
        mode: '0644',
      }),
      user.group({ name: v.baseline_ops_group }),
      user.present({ name: ops, group: v.baseline_ops_group, groups: readGroups, home, shell: '/bin/bash' }),
      file.directory({ path: `${home}/.ssh`, owner: ops, group: v.baseline_ops_group, mode: '0700' }),
      file.content({
        dest: `${home}/.ssh/authorized_keys`,
        content: [`# ${MANAGED}`, ...v.baseline_ops_authorized_keys].join('\n') + '\n',
        owner: ops,
        group: v.baseline_ops_group,
        mode: '0600',
      }),
      // A broken sudoers file locks everyone out of sudo: visudo checks the staged copy first
      // (sudo ignores files with a dot in sudoers.d, so the staged `.name.scaleup-…` is never read).
      // The rule lists exact command lines only: validateBaseline refuses wildcards.
      file.template({ src: 'sudoers-ops.ejs', dest: '/etc/sudoers.d/scaleup-ops', mode: '0440', validate: 'visudo -c -q -f %s' }),
      file.directory({ path: v.baseline_log_dir, owner: 'root', group: 'adm', mode: '0750' }),
      // rsyslog has no config reload (HUP only reopens files): a changed rule needs a restart.
      file.template({
        src: 'rsyslog.conf.ejs',
        dest: '/etc/rsyslog.d/50-scaleup.conf',
        mode: '0644',
        validate: 'rsyslogd -N1 -f %s',
        notify: ['restart rsyslog'],
      }),
      file.template({ src: 'logrotate.ejs', dest: '/etc/logrotate.d/scaleup', mode: '0644', validate: 'logrotate -d %s' }),
      // Debian ships `#compress` commented out: rotated logs of every package are then kept raw.
      file.lineinfile({ path: '/etc/logrotate.conf', line: 'compress', regexp: '^#?[[:space:]]*compress[[:space:]]*$' }),
      file.template({ src: 'motd.ejs', dest: '/etc/motd', mode: '0644' }),
      ...Object.entries(v.baseline_sysctl).map(([key, value]) => sysctl.value(key, value, { file: v.baseline_sysctl_file })),
      service.running('rsyslog', { enabled: true }),
    ];
  },
  handlers: () => ({ 'restart rsyslog': service.restarted('rsyslog') }),
  validate: (inventory, hosts) => validateBaseline(inventory, hosts),
});
