// Measures a failover: stop HAProxy on the VIP holder and time how long until the VIP answers
// again from the other load balancer; then start HAProxy again and wait until the first holder has
// taken the VIP back (it has the higher priority) and the VIP answers: the stack is as it was.
import type { Connection } from '../core/connection/connection.ts';
import type { Facts } from '../core/facts/facts.ts';
import { gatherFacts } from '../core/facts/gather.ts';
import { haproxyDefaults } from '../../roles/haproxy/vars.ts';
import { sharedDefaults } from '../../roles/shared-vars.ts';
import { httpGet, openAll, vipHolder, type StackView } from './verify.ts';

export interface FailoverResult {
  from: string;
  to?: string;
  /** Seconds from stopping HAProxy until the VIP answered 200 from the other lb. */
  seconds?: number;
  /** Seconds from starting HAProxy again until the first holder held the VIP and the VIP answered. */
  restoredSeconds?: number;
  ok: boolean;
  detail: string;
}

function serviceCommand(facts: Facts, name: string, action: 'start' | 'stop'): string {
  return facts.initSystem === 'systemd' ? `systemctl ${action} ${name}` : `service ${name} ${action}`;
}

export async function measureFailover(view: StackView, options: { limitSeconds?: number } = {}): Promise<FailoverResult> {
  const limitMs = (options.limitSeconds ?? 20) * 1000;
  const conns = await openAll(view);
  try {
    const from = await vipHolder(view, conns);
    if (!from) return { from: '-', ok: false, detail: 'no load balancer holds the VIP' };
    const host = view.inventory.hosts.get(from)!;
    const vip = String(host.vars.vip ?? sharedDefaults.vip);
    const port = Number(host.vars.haproxy_frontend_port ?? haproxyDefaults.haproxy_frontend_port);
    const conn: Connection = conns.get(from)!;
    const facts = await gatherFacts(conn);

    const stopped = performance.now();
    await conn.exec(serviceCommand(facts, 'haproxy', 'stop'));
    let to: string | undefined;
    let seconds: number | undefined;
    while (performance.now() - stopped < limitMs) {
      const res = await httpGet(`http://${vip}:${port}/`, { timeoutMs: 1000 });
      if (res.status === 200) {
        to = await vipHolder(view, conns);
        if (to && to !== from) {
          seconds = (performance.now() - stopped) / 1000;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    const started = performance.now();
    await conn.exec(serviceCommand(facts, 'haproxy', 'start'));
    let restoredSeconds: number | undefined;
    while (performance.now() - started < limitMs) {
      if ((await httpGet(`http://${vip}:${port}/`, { timeoutMs: 1000 })).status === 200 && (await vipHolder(view, conns)) === from) {
        restoredSeconds = (performance.now() - started) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const ok = seconds !== undefined && restoredSeconds !== undefined;
    return {
      from, to, seconds, restoredSeconds, ok,
      detail: seconds === undefined
        ? `the VIP did not answer from another lb within ${limitMs / 1000} s`
        : `VIP moved ${from} → ${to} in ${seconds.toFixed(2)} s; HAProxy restarted on ${from}, ` +
          (restoredSeconds === undefined ? `which did not take the VIP back within ${limitMs / 1000} s` : `VIP back on ${from} ${restoredSeconds.toFixed(2)} s later`),
    };
  } finally {
    await Promise.all([...conns.values()].map((c) => c.close()));
  }
}
