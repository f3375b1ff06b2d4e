// Gathers a host's facts in one round trip: one script, one `key=value` line per fact.
import type { Connection } from '../connection/connection.ts';
import { ConnectError } from '../errors.ts';
import type { Facts } from './facts.ts';

export const FACTS_SCRIPT = [
  '. /etc/os-release 2>/dev/null',
  'echo "os_id=$ID"; echo "os_version=$VERSION_ID"; echo "os_codename=$VERSION_CODENAME"',
  '[ -d /run/systemd/system ] && echo init=systemd || echo init=sysv',
  'command -v apt-get >/dev/null 2>&1 && echo pm=apt',
  // In the environment without sudo; through sudo, given as $1 by the lock's command line (command-line.ts).
  'echo "ssh_connection=${SSH_CONNECTION:-${1:-}}"',
  // From the kernel's own files with the shell's read (Linux ≥ 6.1 has kernel.arch); uname otherwise.
  'read -r hostname 2>/dev/null < /proc/sys/kernel/hostname || hostname=$(uname -n)',
  'read -r arch 2>/dev/null < /proc/sys/kernel/arch || arch=$(uname -m)',
  'echo "hostname=$hostname"; echo "arch=$arch"',
  'ip -o -4 addr show 2>/dev/null | while read -r _n ifc _f addr _rest; do echo "if=$ifc $addr"; done',
].join('\n');

/** Parses the output of FACTS_SCRIPT. Unknown lines are ignored; missing facts get defaults. */
export function parseFacts(output: string): Facts {
  const facts: Facts = {
    osId: 'unknown', osVersion: '', osCodename: '', initSystem: 'sysv', packageManager: 'unknown',
    architecture: '', hostname: '', interfaces: {},
  };
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    switch (key) {
      case 'os_id': facts.osId = value || 'unknown'; break;
      case 'os_version': facts.osVersion = value; break;
      case 'os_codename': facts.osCodename = value; break;
      case 'init': facts.initSystem = value === 'systemd' ? 'systemd' : 'sysv'; break;
      case 'pm': facts.packageManager = value === 'apt' ? 'apt' : 'unknown'; break;
      case 'arch': facts.architecture = value; break;
      case 'hostname': facts.hostname = value; break;
      case 'ssh_connection': facts.sshConnection = value; break;
      case 'if': {
        const [ifc, addr] = value.split(' ');
        if (!ifc || !addr || ifc === 'lo') break;
        (facts.interfaces[ifc] ??= []).push(addr);
        break;
      }
    }
  }
  return facts;
}

export async function gatherFacts(conn: Connection): Promise<Facts> {
  // Facts need no privilege: skipping sudo saves a PAM session per host.
  const result = await conn.exec(FACTS_SCRIPT, { become: false });
  if (result.exitCode !== 0 && !result.stdout) {
    throw new ConnectError(conn.hostName, `gathering facts failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  }
  return parseFacts(result.stdout);
}

/** The interface that carries `address` (for keepalived, firewall rules…), or undefined. */
export function interfaceOf(facts: Facts, address: string): string | undefined {
  for (const [ifc, addrs] of Object.entries(facts.interfaces)) {
    if (addrs.some((a) => a.split('/')[0] === address)) return ifc;
  }
  return undefined;
}

/**
 * Takes the host's run lock and gathers its facts in ONE round trip: the facts script runs on the
 * lock's channel once the lock is held. Without a lock (local connections), or when that channel
 * printed nothing, it falls back to gatherFacts (whose error says what went wrong).
 */
export async function lockAndGatherFacts(conn: Connection, holder: string): Promise<Facts> {
  if (!conn.lock) return gatherFacts(conn);
  const output = await conn.lock(holder, FACTS_SCRIPT);
  return output?.trim() ? parseFacts(output) : gatherFacts(conn);
}
