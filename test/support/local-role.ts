// Runs steps against the control machine's real shell through applyRole, the engine's executor.
import { applyRole, type RoleOutcome } from '../../src/core/apply-role.ts';
import { LocalConnection } from '../../src/core/connection/local.ts';
import type { Facts } from '../../src/core/facts/facts.ts';
import type { Host, Vars } from '../../src/core/model.ts';
import { Redactor } from '../../src/core/secret.ts';
import type { Handler, Step, StepContext } from '../../src/core/steps/step.ts';

export const localHost: Host = { name: 'localhost', address: '127.0.0.1', privateAddress: '127.0.0.1', port: 22, user: 'root', become: false, groups: ['all'], vars: {} };
export const localFacts: Facts = {
  osId: 'debian', osVersion: '12', osCodename: 'bookworm', initSystem: 'sysv', packageManager: 'apt',
  architecture: 'x86_64', hostname: 'localhost', interfaces: {},
};

export function context(vars: Vars = {}, diff = false): StepContext {
  return { host: localHost, facts: localFacts, vars, hostsIn: () => [], diff };
}

export async function runLocal(steps: Step[], options: { check?: boolean; vars?: Vars; handlers?: Record<string, Handler>; diff?: boolean; redactor?: Redactor } = {}): Promise<RoleOutcome & { roundTrips: number }> {
  const conn = new LocalConnection();
  const outcome = await applyRole({
    role: 'test', steps, handlers: options.handlers ?? {}, ctx: context(options.vars, options.diff), conn,
    redactor: options.redactor ?? new Redactor(), check: options.check ?? false, emit: () => {},
  });
  return { ...outcome, roundTrips: conn.roundTrips };
}

export const statuses = (o: RoleOutcome) => o.results.map((r) => r.status);
