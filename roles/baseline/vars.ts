// The baseline role's variables and the checks it makes before connecting.
import { type Host, type Inventory, vars, z } from 'scaleup';
import { varsFor } from '../lib/vars.ts';

export const baselineVariables = z.object({
  baseline_packages: vars.list(['curl', 'rsyslog', 'logrotate', 'python3-apt', 'lsof', 'psmisc'],
    'Debian packages every host gets (tools and the log pipeline; python3-apt lets Ansible manage the host too).'),
  baseline_apt_retries: vars.count(3, 'apt retries a failed download this many times (`Acquire::Retries`).', 0),
  baseline_ops_group: vars.text('ops', "The operators' group: its members may run the commands of `baseline_ops_sudo_commands` as root."),
  baseline_ops_user: vars.text('ops', "The operators' login user (member of `baseline_ops_group`)."),
  baseline_ops_read_groups: vars.list(['adm', 'systemd-journal'],
    "Groups that give the ops user read access without sudo: `adm` reads /var/log (and the stack's log dir), " +
      '`systemd-journal` reads the whole journal (`journalctl`; left out on hosts without systemd).'),
  baseline_ops_authorized_keys: vars.list([], 'SSH public keys allowed to log in as `baseline_ops_user` (one `authorized_keys` line each).'),
  // Reading status and logs needs no root (see baseline_ops_read_groups): no sudo rule by default.
  baseline_ops_sudo_commands: vars.list([],
    'Exact command lines (full path and every argument; no wildcards) the group may run as root without a password. ' +
      'A command given without arguments may only be run without arguments.'),
  baseline_log_dir: vars.text('/var/log/scaleup', "Where the stack's daemons log through rsyslog (root:adm, 0750)."),
  baseline_log_programs: vars.list(['haproxy', 'keepalived', 'nginx', 'mariadbd', 'counter'],
    'syslog program names whose messages also go to `<baseline_log_dir>/stack.log`.'),
  baseline_logrotate_frequency: z.enum(['daily', 'weekly', 'monthly']).default('weekly')
    .describe('How often logrotate rotates the files of `baseline_log_dir`.'),
  baseline_logrotate_keep: vars.count(8, 'How many rotated files logrotate keeps.', 0),
  baseline_sysctl: z.record(z.string(), z.union([z.string(), z.number()]))
    .default({
      'net.core.somaxconn': 4096,
      'net.ipv4.tcp_fin_timeout': 30,
      'net.ipv4.ip_local_port_range': '10240 65535',
    })
    .describe('Kernel parameters, set live and persisted in `baseline_sysctl_file`.'),
  baseline_sysctl_file: vars.text('/etc/sysctl.d/60-scaleup-baseline.conf', 'The sysctl.d file that persists `baseline_sysctl`.'),
  baseline_motd_contact: vars.text('', "Who to ask about this host, shown in /etc/motd at login ('' = no contact line)."),
});

export type BaselineVars = z.output<typeof baselineVariables>;
export const baselineDefaults: BaselineVars = baselineVariables.parse({});

const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const PATH = /^\/[A-Za-z0-9._/-]*$/;
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const SYSCTL_KEY = /^[a-z0-9_]+(\.[a-z0-9_-]+)+$/;
/** One space between words: the live value is compared with its whitespace squeezed. */
const SYSCTL_VALUE = /^[A-Za-z0-9_.-]+( [A-Za-z0-9_.-]+)*$/;
/** An authorized_keys line: optional options, then a key type and its base64 blob. */
const AUTHORIZED_KEY = /(^|\s)(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-\S+) [A-Za-z0-9+/]+={0,3}(\s|$)/;
const PROGRAM = /^[A-Za-z0-9_.-]+$/;
/**
 * A sudo command line: an absolute path and plain words. In sudoers `*` `?` `[` match any text,
 * spaces and `../` included (`service * status` ran `service ../../home/x/evil status`), `, : = \`
 * and `"` have meanings of their own and a newline starts a new rule: none may appear.
 */
const SUDO_COMMAND = /^\/[A-Za-z0-9_./+-]+( [A-Za-z0-9_./@%+-]+)*$/;
const SUDO_COMMAND_SHAPE = 'exact commands: an absolute path and plain arguments, one space apart (no wildcards * ? [ ], no , : = \\ " or newlines)';

/** Checks made before connecting: every value that reaches a shell, sudoers or rsyslog has a safe shape. */
export function validateBaseline(_inventory: Inventory, hosts: Host[], defaults: BaselineVars = baselineDefaults): string[] {
  const problems: string[] = [];
  const list = (host: Host, key: string, value: unknown, ok: (s: string) => boolean, what: string) => {
    if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && ok(s))) {
      problems.push(`${host.name}: ${key} must be a list of ${what}`);
    }
  };
  for (const host of hosts) {
    const v = varsFor(defaults, host);
    for (const key of ['baseline_ops_group', 'baseline_ops_user'] as const) {
      if (typeof v[key] !== 'string' || !NAME.test(v[key])) problems.push(`${host.name}: ${key} '${v[key]}' is not a valid user/group name`);
    }
    for (const key of ['baseline_log_dir', 'baseline_sysctl_file'] as const) {
      if (typeof v[key] !== 'string' || !PATH.test(v[key])) problems.push(`${host.name}: ${key} '${v[key]}' must be an absolute path without spaces or quotes`);
    }
    list(host, 'baseline_packages', v.baseline_packages, (s) => PACKAGE.test(s), 'Debian package names');
    list(host, 'baseline_log_programs', v.baseline_log_programs, (s) => PROGRAM.test(s), 'program names (letters, digits, . _ -)');
    list(host, 'baseline_ops_read_groups', v.baseline_ops_read_groups, (s) => NAME.test(s), 'group names');
    list(host, 'baseline_ops_sudo_commands', v.baseline_ops_sudo_commands, (s) => SUDO_COMMAND.test(s), SUDO_COMMAND_SHAPE);
    list(host, 'baseline_ops_authorized_keys', v.baseline_ops_authorized_keys, (s) => !/[\r\n]/.test(s) && AUTHORIZED_KEY.test(s), 'SSH public key lines');
    if (!['daily', 'weekly', 'monthly'].includes(String(v.baseline_logrotate_frequency))) {
      problems.push(`${host.name}: baseline_logrotate_frequency must be daily, weekly or monthly`);
    }
    for (const key of ['baseline_logrotate_keep', 'baseline_apt_retries'] as const) {
      if (!Number.isInteger(v[key]) || (v[key] as number) < 0) problems.push(`${host.name}: ${key} must be a whole number ≥ 0`);
    }
    const sysctl = v.baseline_sysctl as unknown;
    if (!sysctl || typeof sysctl !== 'object' || Array.isArray(sysctl)) {
      problems.push(`${host.name}: baseline_sysctl must be a map of kernel parameter → value`);
    } else {
      for (const [key, value] of Object.entries(sysctl)) {
        if (!SYSCTL_KEY.test(key)) problems.push(`${host.name}: baseline_sysctl key '${key}' is not a kernel parameter name like net.core.somaxconn`);
        if ((typeof value !== 'string' && typeof value !== 'number') || !SYSCTL_VALUE.test(String(value))) {
          problems.push(`${host.name}: baseline_sysctl.${key} must be a number or a string of letters, digits and spaces`);
        }
      }
    }
    if (typeof v.baseline_motd_contact !== 'string' || v.baseline_motd_contact.includes('\n')) {
      problems.push(`${host.name}: baseline_motd_contact must be one line of text`);
    }
  }
  return [...new Set(problems)];
}
