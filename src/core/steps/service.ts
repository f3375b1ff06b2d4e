// Services on systemd (systemctl) or sysv (service + update-rc.d), chosen from the facts.
import { quote } from '../quote.ts';
import { probeFields } from './probe-output.ts';
import type { Change, Handler, Step, StepContext } from './step.ts';
import { unitState, unitStateCommand } from './unit-states.ts';

function probe(name: string, ctx: StepContext): string {
  const q = quote(name);
  if (ctx.facts.initSystem === 'systemd') {
    // One `systemctl show` (systemd's cached state, over D-Bus) instead of is-active + is-enabled:
    // half the CPU on the host (~10 ms instead of ~24 ms measured on the lab), one process not two.
    return unitStateCommand(name);
  }
  // Some sysv scripts (keepalived's) have no `status`: fall back to a process of that name.
  return `if [ -x /etc/init.d/${q} ]; then out=$(/etc/init.d/${q} status 2>&1); rc=$?; ` +
    `if printf '%s' "$out" | grep -qi usage; then pidof ${q} >/dev/null && rc=0 || rc=3; fi; ` +
    `[ $rc -eq 0 ] && echo active=active || echo active=inactive; ` +
    `ls /etc/rc2.d/S*${q} >/dev/null 2>&1 && echo enabled=enabled || echo enabled=disabled; else echo active=missing; fi`;
}

/** Shell test: is the service running? (sysv: `status`, or a process of that name when a script has none). */
function isActive(name: string, ctx: StepContext): string {
  const q = quote(name);
  if (ctx.facts.initSystem === 'systemd') return `systemctl is-active -q ${q}`;
  return `{ out=$(service ${q} status 2>&1); rc=$?; if printf '%s' "$out" | grep -qi usage; then pidof ${q} >/dev/null; else [ $rc -eq 0 ]; fi; }`;
}

function startCommand(name: string, ctx: StepContext, action: 'start' | 'stop' | 'reload' | 'restart'): string {
  const q = quote(name);
  return ctx.facts.initSystem === 'systemd' ? `systemctl ${action} ${q}` : `service ${q} ${action}`;
}

function enableCommand(name: string, ctx: StepContext, enable: boolean): string {
  const q = quote(name);
  if (ctx.facts.initSystem === 'systemd') return `systemctl ${enable ? 'enable' : 'disable'} ${q}`;
  return enable ? `update-rc.d ${q} defaults >/dev/null && update-rc.d ${q} enable` : `update-rc.d ${q} disable`;
}

/** What a change does to the service. */
interface ServiceChange extends Change {
  action: 'start' | 'stop' | 'enable' | 'disable';
}

const serviceChange = (action: ServiceChange['action']): ServiceChange => ({ summary: action, action });

function serviceStep(name: string, want: 'active' | 'inactive', enabled: boolean | undefined, tags?: string[]): Step<ServiceChange> {
  return {
    name: `service ${name} ${want === 'active' ? 'running' : 'stopped'}`,
    tags,
    probe: (ctx) => probe(name, ctx),
    // On systemd, one `systemctl show` answers every service step of the batch.
    shared: (ctx) => (ctx.facts.initSystem === 'systemd' ? unitState(name) : undefined),
    decide: (out) => {
      const f = probeFields(out.stdout);
      // sysv probes print active=/enabled=; systemd answers with `systemctl show`'s property names.
      const state = f.get('active') ?? f.get('ActiveState');
      const changes: ServiceChange[] = [];
      const active = state === 'active' || state === 'reloading';
      if (want === 'active' && !active) changes.push(serviceChange('start'));
      if (want === 'inactive' && active) changes.push(serviceChange('stop'));
      if (enabled !== undefined) {
        const isEnabled = (f.get('enabled') ?? f.get('UnitFileState')) === 'enabled';
        if (enabled && !isEnabled) changes.push(serviceChange('enable'));
        if (!enabled && isEnabled) changes.push(serviceChange('disable'));
      }
      return changes;
    },
    apply: async (remote, changes, ctx) => {
      for (const { action } of changes) {
        if (action === 'enable' || action === 'disable') await remote.run(enableCommand(name, ctx, action === 'enable'));
        else await remote.run(startCommand(name, ctx, action));
      }
    },
  };
}

export function running(name: string, options: { enabled?: boolean; tags?: string[] } = {}): Step {
  return serviceStep(name, 'active', options.enabled ?? true, options.tags);
}

export function stopped(name: string, options: { enabled?: boolean; tags?: string[] } = {}): Step {
  return serviceStep(name, 'inactive', options.enabled, options.tags);
}

function handler(name: string, action: 'reload' | 'restart'): Handler {
  return {
    name: `${action} ${name}`,
    probe: () => '',
    decide: () => [{ summary: action }],
    apply: async (remote, _changes, ctx) => {
      if (action === 'reload') {
        // A reload of a stopped service is a start: the new config must take effect either way.
        await remote.run(`if ${isActive(name, ctx)}; then ${startCommand(name, ctx, 'reload')}; else ${startCommand(name, ctx, 'start')}; fi`);
      } else {
        await remote.run(startCommand(name, ctx, 'restart'));
      }
    },
  };
}

export const reloaded = (name: string): Handler => handler(name, 'reload');
export const restarted = (name: string): Handler => handler(name, 'restart');

/** `systemctl daemon-reload` after a unit file changed (nothing to do on sysv hosts). */
export function daemonReloaded(): Handler {
  return {
    name: 'reload systemd',
    probe: () => '',
    decide: () => [{ summary: 'daemon-reload' }],
    apply: async (remote, _changes, ctx) => {
      if (ctx.facts.initSystem === 'systemd') await remote.run('systemctl daemon-reload');
    },
  };
}
