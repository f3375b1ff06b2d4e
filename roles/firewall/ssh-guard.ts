// The firewall's guard against locking out the run that loads it. Established connections survive
// a new ruleset (conntrack), so a mistake would show only on the NEXT connection — when SSH is gone.
// The guard checks, on the host, before the role changes anything there, that the rules about to be
// loaded still accept this run's own SSH session: its client address and the port it came in on, as
// the host sees them (after any NAT or jump host: what nft matches too). Only the host knows that
// address, so it cannot be checked before connecting (validate) nor from the inventory.
import { type Facts, probeFields, type Step, StepError } from 'scaleup';
import { isIpAddress } from '../lib/net.ts';
import { covers, mergeSources } from './sources.ts';
import type { FirewallVars } from './vars.ts';

/** The SSH session a run's commands come through, as the host sees it (sshd's SSH_CONNECTION). */
export interface SshSession {
  /** Client address; IPv4-mapped IPv6 addresses are given as IPv4. */
  client: string;
  /** Local port the session came in on (sshd's). */
  serverPort: number;
}

/**
 * Prints `ssh_connection=<client> <client port> <server address> <server port>` of the session the
 * probe runs in, or `ssh_connection=` when there is none. sshd puts SSH_CONNECTION in the session's
 * environment, but the engine's commands usually run through sudo, which resets the environment: the
 * probe then reads it from the nearest ancestor process that still has it (sudo itself was started with
 * the login environment; its /proc/PID/environ holds it, and the probe runs as root so it can read it).
 * `$$` is the probe script's shell; the walk stops at PID 1 or after 64 steps.
 */
export const SSH_SESSION_PROBE = [
  's=${SSH_CONNECTION:-}; p=$$; n=0',
  'while [ -z "$s" ] && [ "$n" -lt 64 ] && [ "${p:-0}" -gt 1 ]; do',
  "  s=$(tr '\\000' '\\n' < /proc/$p/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')",
  "  p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null); n=$((n + 1))",
  'done',
  'printf \'ssh_connection=%s\\n\' "$s"',
].join('\n');

/** The session from the probe's output; undefined when the probe found none (or printed nonsense). */
export function parseSshSession(stdout: string): SshSession | undefined {
  const fields = (probeFields(stdout).get('ssh_connection') ?? '').trim().split(/\s+/);
  if (fields.length !== 4) return undefined;
  const serverPort = Number(fields[3]);
  const client = fields[0]!.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  // What the host printed is not trusted: only an address and a port make a session.
  if (!isIpAddress(client) || !Number.isInteger(serverPort) || serverPort < 1 || serverPort > 65535) return undefined;
  return { client, serverPort };
}

/** Traffic from the host to itself goes through `lo`, which the rules always accept. */
function isOwnAddress(address: string, facts: Facts): boolean {
  if (address === '::1' || covers(['127.0.0.0/8'], address)) return true;
  return Object.values(facts.interfaces).flat().some((cidr) => cidr.split('/')[0] === address);
}

/**
 * Why loading the rules would close SSH to this run's session, or undefined when it stays open.
 * Pure: the session comes from the probe, the rest from the role's variables and the host's facts.
 */
export function sshLockout(vars: FirewallVars, session: SshSession | undefined, host: string, facts: Facts): string | undefined {
  const sources = mergeSources(vars.firewall_ssh_sources);
  const refusing = `refusing to load the firewall on ${host}`;
  const unchanged = 'its firewall is left as it is';
  if (!session) {
    if (sources.length === 0) return undefined;
    return `${refusing}: cannot tell which address this run's SSH session comes from (no SSH_CONNECTION in the session's ` +
      `processes), so cannot make sure firewall_ssh_sources (${sources.join(', ')}) keeps it open; ${unchanged}`;
  }
  if (isOwnAddress(session.client, facts)) return undefined;
  if (session.serverPort !== vars.firewall_ssh_port) {
    return `${refusing}: this run reached ${host} on SSH port ${session.serverPort}, but the rules open SSH on ` +
      `firewall_ssh_port ${vars.firewall_ssh_port} only — the next connection would be dropped. Set firewall_ssh_port: ` +
      `${session.serverPort}; ${unchanged}`;
  }
  if (sources.length === 0) return undefined;
  if (!covers(['0.0.0.0/0'], session.client)) {
    return `${refusing}: this run connects from ${session.client}, not an IPv4 address, and the rules accept SSH from the ` +
      `IPv4 networks of firewall_ssh_sources (${sources.join(', ')}) only — the next connection would be dropped. Connect ` +
      `over IPv4 from one of them, or leave the list empty to allow SSH from anywhere; ${unchanged}`;
  }
  if (!covers(sources, session.client)) {
    return `${refusing}: the rules would close SSH to ${session.client}, the address this run connects from (as ${host} sees it), ` +
      `since firewall_ssh_sources (${sources.join(', ')}) does not include it — the next connection would be dropped. ` +
      `Add ${session.client} (or its network) to firewall_ssh_sources, or leave the list empty to allow SSH from anywhere; ${unchanged}`;
  }
  return undefined;
}

/**
 * The role's first step: reads the session (read-only) and fails the host with sshLockout's reason
 * before any other step of the role runs. It never changes anything, so it is always `ok` otherwise.
 */
export function sshGuard(vars: FirewallVars): Step {
  return {
    name: 'ssh stays open to this run',
    // The facts carry the session when the run lock's channel could tell it: no walk over processes then.
    probe: (ctx) => (ctx.facts.sshConnection ? '' : SSH_SESSION_PROBE),
    decide: (out, ctx) => {
      const seen = ctx.facts.sshConnection ? `ssh_connection=${ctx.facts.sshConnection}\n` : out.stdout;
      const problem = sshLockout(vars, parseSshSession(seen), ctx.host.name, ctx.facts);
      if (problem) throw new StepError(problem, { host: ctx.host.name, role: 'firewall', step: 'ssh stays open to this run' });
      return [];
    },
    apply: async () => {},
  };
}
