// The VIP: keepalived runs one VRRP instance over the lb hosts (unicast, so it works where multicast
// is filtered) and moves the VIP away from a host whose HAProxy stops. Travels with the haproxy role.
import { defineRole } from '../../src/core/role.ts';
import { command, file, pkg, service } from '../../src/core/steps/index.ts';
import { secretVar } from '../lib/secret-value.ts';
import { CHECK_SCRIPT, keepalivedDefaults, keepalivedTemplateVars, validateKeepalived, type KeepalivedVars } from './vars.ts';

export default defineRole<KeepalivedVars>({
  name: 'keepalived',
  description: 'keepalived: the VIP on the lb pair (VRRP, unicast), following a live HAProxy',
  defaults: keepalivedDefaults,
  required: ['vip', 'keepalived_auth_pass'],
  steps(v, { host, facts, hostsIn }) {
    secretVar(v.keepalived_auth_pass, 'keepalived_auth_pass');
    const vars = keepalivedTemplateVars(v, host, facts, hostsIn(v.lb_group));
    return [
      // Without a config keepalived does not start (systemd: ConditionFileNotEmpty; sysv: exit 0),
      // so installing first is safe; the service starts below, once its config is in place.
      pkg.installed(['keepalived']),
      // Under enable_script_security the script must be root's and writable by root only.
      file.template({ src: 'keepalived/check_haproxy.sh.ejs', dest: CHECK_SCRIPT, mode: '0755' }),
      file.template({
        src: 'keepalived/keepalived.conf.ejs',
        dest: '/etc/keepalived/keepalived.conf',
        // Holds the VRRP password.
        mode: '0640',
        vars,
        validate: 'keepalived --config-test -f %s',
        notify: ['reload keepalived'],
      }),
      service.running('keepalived', { enabled: true }),
    ];
  },
  handlers: () => ({ 'reload keepalived': service.reloaded('keepalived') }),
  validate: (inventory, hosts) => validateKeepalived(inventory, hosts),
});
