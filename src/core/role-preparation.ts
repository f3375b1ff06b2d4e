// The control-node work of a run, done before any host is contacted: each role's `prepare` (an
// artifact built and packed), once per distinct input, whatever the number of hosts sharing it.
// A failure throws here, so no host is touched by a run whose artifact could not be made.
import type { Host } from './model.ts';
import type { Role } from './role.ts';
import { roleVars } from './role-plan.ts';

/** What the roles prepared, per role and host: `preparedFor(role, host)` is that host's `ctx.prepared`. */
export class PreparedRoles {
  readonly #byHost = new Map<string, unknown>();

  set(role: string, host: string, value: unknown): void {
    this.#byHost.set(`${role}\0${host}`, value);
  }

  preparedFor(role: string, host: string): unknown {
    return this.#byHost.get(`${role}\0${host}`);
  }
}

export interface PreparePlay {
  hosts: Host[];
  roles: Role[];
}

/**
 * Runs every role's preparation the plays ask for: one after another (a build may be heavy and use
 * shared caches), each distinct key once. Throws what a preparation throws.
 */
export async function prepareRoles(plays: PreparePlay[], projectRoot: string): Promise<PreparedRoles> {
  const prepared = new PreparedRoles();
  const done = new Map<string, unknown>();
  for (const play of plays) {
    for (const role of play.roles) {
      if (!role.prepare) continue;
      for (const host of play.hosts) {
        const preparation = role.prepare(roleVars(role, host) as never, { dir: role.home?.dir ?? '', projectRoot });
        if (!preparation) continue;
        const key = `${role.name}\0${preparation.key}`;
        if (!done.has(key)) done.set(key, await preparation.run());
        prepared.set(role.name, host.name, done.get(key));
      }
    }
  }
  return prepared;
}
