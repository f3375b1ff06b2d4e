// The VIP: keepalived runs one VRRP instance over the lb hosts (unicast, so it works where multicast
// is filtered) and moves the VIP away from a host whose HAProxy stops. Travels with the haproxy role.
import { defineRole, file, pkg, service, type Step } from 'scaleup';
import {
  CHECK_SCRIPT, READY_SCRIPT, HANDOVER_SCRIPT, HAPROXY_DROPIN_DIR, KEEPALIVED_DROPIN_DIR,
  keepalivedTemplateVars, keepalivedVariables, validateKeepalived,
} from './vars.ts';

export default defineRole({
  name: 'keepalived',
  description: 'keepalived: the VIP on the lb pair (VRRP, unicast), following a live HAProxy',
  variables: keepalivedVariables,
  required: ['vip'],
  steps(v, { host, facts, hostsIn }) {
    const vars = keepalivedTemplateVars(v, host, facts, hostsIn(v.lb_group));
    // systemd only: HAProxy hands the VIP over before it stops, and a dead keepalived is restarted.
    const systemdUnits: Step[] =
      facts.initSystem === 'systemd'
        ? [
            file.template({ src: 'haproxy-vip-handover.sh.ejs', dest: HANDOVER_SCRIPT, mode: '0755', vars }),
            file.directory({ path: HAPROXY_DROPIN_DIR, mode: '0755' }),
            file.template({
              src: 'haproxy-handover.conf.ejs',
              dest: `${HAPROXY_DROPIN_DIR}/scaleup-vip-handover.conf`,
              mode: '0644',
              vars,
              notify: ['reload systemd'],
            }),
            file.directory({ path: KEEPALIVED_DROPIN_DIR, mode: '0755' }),
            file.template({
              src: 'keepalived-restart.conf.ejs',
              dest: `${KEEPALIVED_DROPIN_DIR}/scaleup-restart.conf`,
              mode: '0644',
              notify: ['reload systemd'],
            }),
          ]
        : [];
    return [
      // Without a config keepalived does not start (systemd: ConditionFileNotEmpty; sysv: exit 0),
      // so installing first is safe; the service starts below, once its config is in place.
      pkg.installed(['keepalived']),
      // Under enable_script_security the script must be root's and writable by root only.
      file.template({ src: 'check_haproxy.sh.ejs', dest: CHECK_SCRIPT, mode: '0755' }),
      file.template({ src: 'check_haproxy_ready.sh.ejs', dest: READY_SCRIPT, mode: '0755' }),
      ...systemdUnits,
      file.template({
        src: 'keepalived.conf.ejs',
        dest: '/etc/keepalived/keepalived.conf',
        // May hold the VRRPv2 password. Secret even with VRRPv3: the file on the host may still hold
        // the password of a VRRPv2 setup, and a diff would show it on the line it removes.
        mode: '0640',
        secret: true,
        vars,
        validate: 'keepalived --config-test -f %s',
        notify: ['reload keepalived'],
      }),
      service.running('keepalived', { enabled: true }),
    ];
  },
  handlers: (_v, { facts }) => ({
    ...(facts.initSystem === 'systemd' ? { 'reload systemd': service.daemonReloaded() } : {}),
    'reload keepalived': service.reloaded('keepalived'),
  }),
  // keepalived logs to syslog only: without systemd its lines are in the host's general syslog.
  logs: () => [{ unit: 'keepalived', files: ['/var/log/syslog'] }],
  validate: (inventory, hosts) => validateKeepalived(inventory, hosts),
});
