// Honours the person's OpenSSH client config (~/.ssh/config, or SCALEUP_SSH_CONFIG) the way `ssh`
// would for the inventory's address: HostName, IdentityFile, and ProxyJump for a bastion. User and
// Port come from the inventory, which is explicit per host.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import SSHConfig from 'ssh-config';

export interface SshConfigView {
  hostName?: string;
  identityFile?: string;
  /** `[user@]host[:port]` of the first jump host, as ProxyJump gives it. */
  proxyJump?: string;
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(homedir(), p.slice(2)) : p;
}

export function sshConfigFor(alias: string, file = process.env.SCALEUP_SSH_CONFIG ?? path.join(homedir(), '.ssh', 'config')): SshConfigView {
  if (!existsSync(file)) return {};
  const computed = SSHConfig.parse(readFileSync(file, 'utf8')).compute(alias);
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const hostName = first(computed.HostName);
  const identity = first(computed.IdentityFile);
  const jump = first(computed.ProxyJump);
  return {
    hostName: hostName && hostName !== alias ? hostName : undefined,
    identityFile: identity ? expandHome(identity) : undefined,
    proxyJump: jump && jump !== 'none' ? jump.split(',')[0] : undefined,
  };
}

/** Splits `[user@]host[:port]`. */
export function parseJump(spec: string): { user?: string; host: string; port: number } {
  const at = spec.lastIndexOf('@');
  const user = at >= 0 ? spec.slice(0, at) : undefined;
  const rest = at >= 0 ? spec.slice(at + 1) : spec;
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(rest);
  return { user, host: m?.[1] ?? rest, port: m?.[2] ? Number(m[2]) : 22 };
}
