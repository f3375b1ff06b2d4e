// The load balancer: HAProxy on the VIP in front of every web host, with HTTP health checks and a
// password-protected stats page on the host's private address. Travels with the keepalived role.
import { defineRole, file, pkg, service, sysctl } from 'scaleup';
import { secretVar } from '../lib/secret-value.ts';
import { tierMembers } from '../shared-vars.ts';
import { haproxyQuote, haproxyVariables, validateHaproxy } from './vars.ts';

export default defineRole({
  name: 'haproxy',
  description: 'HAProxy on the VIP: HTTP load balancing over all web hosts with health checks',
  variables: haproxyVariables,
  required: ['vip', 'haproxy_stats_password'],
  steps(v, { hostsIn, varsOf }) {
    secretVar(v.haproxy_stats_password, 'haproxy_stats_password');
    // Every web host, at its private address and the port its own nginx listens on.
    const backends = tierMembers(hostsIn(v.web_group), varsOf, 'nginx_port');
    return [
      // The backend lb does not hold the VIP, yet must bind it to be ready for a failover.
      sysctl.value('net.ipv4.ip_nonlocal_bind', 1),
      // Debian starts HAProxy on install with its default config (no listener): harmless.
      pkg.installed(['haproxy']),
      file.template({
        src: 'haproxy.cfg.ejs',
        dest: '/etc/haproxy/haproxy.cfg',
        // Holds the stats password: readable by root and the haproxy group only, never in a diff.
        owner: 'root',
        group: 'haproxy',
        mode: '0640',
        secret: true,
        vars: { quote: haproxyQuote, backends },
        validate: 'haproxy -c -q -f %s',
        notify: ['reload haproxy'],
      }),
      service.running('haproxy', { enabled: true }),
    ];
  },
  handlers: () => ({ 'reload haproxy': service.reloaded('haproxy') }),
  // HAProxy logs to syslog (/dev/log): journald files it under the unit; without systemd, Debian's
  // rsyslog rule for haproxy writes it to this file.
  logs: () => [{ unit: 'haproxy', files: ['/var/log/haproxy.log'] }],
  validate: (inventory, hosts) => validateHaproxy(inventory, hosts),
});
