// Ansible's connection variables (`ansible_*`) of an Ansible-format inventory: each one is honoured
// (it becomes a connection setting of the host), refused (an error at its file:line: scaleup cannot do
// what it asks, and doing something else would surprise), or ignored and named in one warning.
// None reaches a role as a variable, and none is dropped without a word.
import type { InventoryError } from './errors.ts';
import { addressProblem, isValidAddress, USER_RE } from './inventory-schema.ts';
import type { LocatedSource } from './located-source.ts';
import { splitShellWords, ShellWordsError } from './shell-words.ts';
import { describeValue, type Path } from './yaml-source.ts';

/** A value with the path it was written at. */
export interface Def {
  value: unknown;
  path: Path;
}

/** Connection settings a host can have, by their field name in `locate()` and the native format. */
export const CONN_FIELDS = ['address', 'private_address', 'port', 'user', 'become', 'become_user', 'private_key', 'proxy_jump'] as const;
export type ConnField = (typeof CONN_FIELDS)[number];

/** An ansible_* variable (or an option inside one) that has no effect: named in the run's warning. */
export interface IgnoredAnsible {
  /** `ansible_python_interpreter`, or `ansible_ssh_common_args option -o ForwardAgent=yes`. */
  what: string;
  path: Path;
}

/** Variables that become connection settings (the first name wins over the older ones). */
const HONOURED: Partial<Record<ConnField, string[]>> = {
  address: ['ansible_host', 'ansible_ssh_host'],
  port: ['ansible_port', 'ansible_ssh_port'],
  user: ['ansible_user', 'ansible_ssh_user'],
  private_key: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  become: ['ansible_become'],
  become_user: ['ansible_become_user'],
};
/** sudo's password: scaleup's `become_password` (best kept in the secrets file). */
const BECOME_PASSWORD = ['ansible_become_password', 'ansible_become_pass'];
/** Extra ssh arguments: only a jump host is taken from them. */
const SSH_ARGS = ['ansible_ssh_common_args', 'ansible_ssh_extra_args'];
/** Password logins: scaleup authenticates with keys only. */
const PASSWORDS = ['ansible_ssh_pass', 'ansible_password', 'ansible_ssh_password'];
/** Connection plugins that are the SSH scaleup speaks anyway. */
const SSH_CONNECTIONS = ['ssh', 'smart', 'paramiko', 'paramiko_ssh'];

/** ssh options that take an argument (as `ssh -i KEY`), so it is named along with the option. */
const SSH_OPTIONS_WITH_ARGUMENT = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));

/**
 * Takes every `ansible_*` variable out of `merged` (a host's variables) into `conn`, `errors` or
 * `ignored`; `ansible_become_password` becomes the variable `become_password`.
 */
export function takeAnsibleVars(
  merged: Map<string, Def>,
  conn: Map<ConnField, Def>,
  source: LocatedSource,
  errors: InventoryError[],
  ignored: IgnoredAnsible[],
): void {
  for (const [field, names] of Object.entries(HONOURED) as [ConnField, string[]][]) {
    for (const name of [...names].reverse()) {
      const d = merged.get(name);
      if (d) conn.set(field, d);
    }
  }
  for (const name of [...BECOME_PASSWORD].reverse()) {
    const d = merged.get(name);
    if (d) merged.set('become_password', d);
  }
  for (const name of SSH_ARGS) {
    const d = merged.get(name);
    if (d) {
      const jump = jumpFromSshArgs(name, d, source, errors, ignored);
      if (jump) conn.set('proxy_jump', jump);
    }
  }
  for (const name of PASSWORDS) {
    const d = merged.get(name);
    if (d) {
      errors.push(source.error(d.path, `${name}: password logins are not supported (scaleup logs in with keys only): ` +
        'load the key into ssh-agent, or set ansible_ssh_private_key_file, and remove the password', 'key'));
    }
  }
  const connection = merged.get('ansible_connection');
  if (connection && !(typeof connection.value === 'string' && SSH_CONNECTIONS.includes(connection.value))) {
    const what = typeof connection.value === 'string' ? `ansible_connection=${connection.value}` : 'this ansible_connection';
    errors.push(source.error(connection.path, `${what} is not supported: scaleup reaches every host over SSH ` +
      '(for this machine, run sshd and use ansible_host=127.0.0.1 with a key)'));
  }
  const method = merged.get('ansible_become_method');
  if (method && method.value !== 'sudo') {
    errors.push(source.error(method.path, `only sudo is supported as ansible_become_method, got ${typeof method.value === 'string' ? JSON.stringify(method.value) : describeValue(method.value)}`));
  }
  const handled = new Set([
    ...Object.values(HONOURED).flat(), ...BECOME_PASSWORD, ...SSH_ARGS, ...PASSWORDS, 'ansible_connection', 'ansible_become_method',
  ]);
  for (const [name, d] of [...merged]) {
    if (!name.startsWith('ansible_')) continue;
    if (!handled.has(name)) ignored.push({ what: name, path: d.path });
    merged.delete(name);
  }
}

/**
 * The jump host of `-J [user@]host[:port]`, `-o ProxyJump=…` or `-o ProxyCommand="ssh -W %h:%p …"`
 * in an ssh arguments variable; any other ProxyCommand is an error, every other option is named as ignored.
 */
function jumpFromSshArgs(name: string, d: Def, source: LocatedSource, errors: InventoryError[], ignored: IgnoredAnsible[]): Def | undefined {
  if (typeof d.value !== 'string') {
    errors.push(source.error(d.path, `expected ssh options as a string, got ${describeValue(d.value)}`));
    return undefined;
  }
  let words: string[];
  try {
    words = splitShellWords(d.value, { comments: false }).map((w) => w.text);
  } catch (err) {
    if (!(err instanceof ShellWordsError)) throw err;
    errors.push(source.error(d.path, `${name}: ${err.reason}`));
    return undefined;
  }
  let spec: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const flag = /^-([A-Za-z])(.*)$/.exec(w);
    const letter = flag?.[1];
    const arg = letter && SSH_OPTIONS_WITH_ARGUMENT.has(letter) ? (flag![2] || words[++i] || '') : undefined;
    if (letter === 'J') spec = arg;
    else if (letter === 'o') {
      const m = /^\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*)$/s.exec(arg ?? '');
      const key = m?.[1]?.toLowerCase();
      if (key === 'proxyjump') spec = m![2]!;
      else if (key === 'proxycommand') {
        // Any other command is refused, not skipped: scaleup never runs a command an inventory names,
        // and connecting straight to an address the inventory meant to reach through a proxy would
        // reach another machine, or none.
        const command = m![2]!.trim();
        const fromCommand = jumpFromProxyCommand(command);
        if (fromCommand) spec = fromCommand;
        else if (command.toLowerCase() !== 'none') {
          errors.push(source.error(d.path, `${name}: -o ProxyCommand is not supported (scaleup never runs a local command an inventory names); ` +
            'only "ssh -W %h:%p [-p PORT] [user@]host" is understood, as a jump host: use -o ProxyJump=[user@]host[:port] instead'));
          return undefined;
        }
      } else ignored.push({ what: `${name} option -o ${arg}`, path: d.path });
    } else ignored.push({ what: `${name} option ${arg === undefined ? w : `${w} ${arg}`}`, path: d.path });
  }
  if (spec === undefined || spec.toLowerCase() === 'none') return undefined;
  const problem = jumpProblem(spec);
  if (problem) {
    errors.push(source.error(d.path, `${name}: ${problem}`));
    return undefined;
  }
  return { value: spec, path: d.path };
}

/** `ssh [-q] -W %h:%p [-p PORT] [-l USER] [user@]host` → `[user@]host[:port]`; undefined for anything else. */
function jumpFromProxyCommand(command: string): string | undefined {
  let words: string[];
  try {
    words = splitShellWords(command, { comments: false }).map((w) => w.text);
  } catch {
    return undefined;
  }
  if (!words[0] || !/(^|\/)ssh$/.test(words[0])) return undefined;
  let forwards = false;
  let port: string | undefined;
  let user: string | undefined;
  let host: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-W') forwards = words[++i] === '%h:%p';
    else if (w === '-p') port = words[++i];
    else if (w === '-l') user = words[++i];
    else if (/^-[qTxaAC46]+$/.test(w)) continue;
    else if (w.startsWith('-') || host !== undefined) return undefined;
    else host = w;
  }
  if (!forwards || !host) return undefined;
  const hasUser = host.includes('@');
  return `${!hasUser && user ? `${user}@` : ''}${host}${port ? `:${port}` : ''}`;
}

/** What is wrong with a `[user@]host[:port]` jump host, if anything. */
export function jumpProblem(spec: string): string | undefined {
  if (spec.includes(',')) return `a chain of jump hosts (${spec}) is not supported: use one jump host`;
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@]+)(?::(\d+))?$/.exec(spec);
  if (!m) return `expected the jump host as [user@]host[:port], got ${JSON.stringify(spec)}`;
  const [, user, hostPart, port] = m;
  const host = hostPart!.replace(/^\[(.*)\]$/, '$1');
  if (user !== undefined && !USER_RE.test(user)) return `invalid user name in the jump host ${JSON.stringify(spec)}`;
  if (!isValidAddress(host)) return `the jump host ${JSON.stringify(host)} is not an IPv4/IPv6 address or a DNS name`;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `port ${port} of the jump host is out of range (1 to 65535)`;
  return undefined;
}

/** Checks the connection settings taken from ansible_* variables, normalising ports and booleans. */
export function checkAnsibleConn(source: LocatedSource, hostName: string, hostPath: Path, conn: Map<ConnField, Def>, errors: InventoryError[]): void {
  const address = conn.get('address');
  if (address) {
    if (typeof address.value !== 'string' || !isValidAddress(address.value)) {
      errors.push(source.error(address.path, addressProblem(address.value)));
    }
  } else if (!isValidAddress(hostName)) {
    errors.push(source.error(hostPath, `host ${hostName} has no ansible_host and its name is not an address`, 'key'));
  }
  const port = conn.get('port');
  if (port) {
    const v = port.value;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      errors.push(source.error(port.path, `expected a port number from 1 to 65535, got ${describeValue(v)}`));
    } else if (n < 1 || n > 65535) {
      errors.push(source.error(port.path, `port ${n} is out of range (1 to 65535)`));
    } else conn.set('port', { ...port, value: n });
  }
  for (const field of ['user', 'become_user'] as const) {
    const user = conn.get(field);
    if (user && (typeof user.value !== 'string' || !USER_RE.test(user.value))) {
      errors.push(source.error(user.path, 'invalid user name: letters, digits, "_" and "-", starting with a letter or "_"'));
    }
  }
  const become = conn.get('become');
  if (become) {
    const v = typeof become.value === 'string' ? ({ true: true, false: false, yes: true, no: false } as Record<string, boolean>)[become.value.toLowerCase()] : become.value;
    if (typeof v !== 'boolean') errors.push(source.error(become.path, `expected true or false, got ${describeValue(become.value)}`));
    else conn.set('become', { ...become, value: v });
  }
  const pk = conn.get('private_key');
  if (pk && (typeof pk.value !== 'string' || pk.value === '' || /[\0-\x1f]/.test(pk.value))) {
    errors.push(source.error(pk.path, `expected a file path, got ${describeValue(pk.value)}`));
  }
}
