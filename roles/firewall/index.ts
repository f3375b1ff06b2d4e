// Host firewall (nftables), first in playbooks/site.yml: each tier accepts its service port only from
// the tier in front of it — MySQL from app hosts, the app port from web hosts, 80 on web hosts from
// the load balancers, the frontend on the lb hosts from anyone — plus SSH and VRRP between the lb
// peers. Owns one table (inet scaleup) and leaves any other ruleset alone.
import { command, defineRole, file, pkg, service } from 'scaleup';
import { sshGuard } from './ssh-guard.ts';
import { firewallRules, firewallVariables, validateFirewall } from './vars.ts';

const RULES_FILE = '/etc/nftables.conf';
const LOAD = `nft -f ${RULES_FILE}`;

export default defineRole({
  name: 'firewall',
  description: 'nftables: each tier reachable only from the tier in front of it (plus SSH)',
  variables: firewallVariables,
  steps(v, { host, facts, hostsIn }) {
    return [
      // First: a run whose own SSH session the new rules would drop stops here, before any change.
      sshGuard(v),
      pkg.installed(['nftables']),
      file.template({
        src: 'nftables.conf.ejs',
        dest: RULES_FILE,
        mode: '0644',
        vars: { rules: firewallRules(v, host, hostsIn) },
        validate: 'nft -c -f %s',
        notify: ['reload firewall'],
      }),
      // systemd loads the file at boot through nftables.service; Debian ships no sysv script for it.
      ...(facts.initSystem === 'systemd' ? [service.running('nftables', { enabled: true })] : []),
      // An active nftables.service says nothing about the live rules (`nft flush ruleset` leaves it
      // active), and on sysv nothing loads them after a reboot: load them whenever our table is missing.
      command.run({ name: 'load firewall rules', command: LOAD, unless: 'nft list table inet scaleup' }),
    ];
  },
  handlers: () => ({ 'reload firewall': command.run({ name: 'reload firewall', command: LOAD }) }),
  validate: (inventory, hosts) => validateFirewall(inventory, hosts),
});
