// Finding a role by name is the caller's business: the engine is handed a RoleSource and asks it for
// the names it knows and for a role by name. The CLI chains a project's roles/, the roles_path
// folders and the roles scaleup ships; a test hands in roles it built in memory.
import { InventoryError } from './errors.ts';
import type { Role } from './role.ts';

export interface RoleSource {
  /** Names of the roles this source can load, sorted. */
  list(): string[];
  /** The role called `name` (its `home` set), or undefined when this source has none by that name. */
  load(name: string): Promise<Role | undefined>;
}

/** A chain of sources, with what its callers ask of it besides `list` and `load`. */
export interface RoleChain extends RoleSource {
  /** The role called `name`; an unknown name is an InventoryError listing the known ones. */
  require(name: string): Promise<Role>;
  /** Every role the chain lists, except those that fail to load (a run that uses one reports it). */
  loadAll(): Promise<Role[]>;
}

/** Sources in order of precedence: a role is taken from the first source that has its name. */
export function chainRoleSources(sources: RoleSource[]): RoleChain {
  const owner = (name: string) => sources.find((s) => s.list().includes(name));
  const cache = new Map<string, Promise<Role | undefined>>();
  const chain = {
    list: () => [...new Set(sources.flatMap((s) => s.list()))].sort(),
    load(name: string) {
      let role = cache.get(name);
      if (!role) cache.set(name, (role = owner(name)?.load(name) ?? Promise.resolve(undefined)));
      return role;
    },
    async require(name: string): Promise<Role> {
      const role = await chain.load(name);
      if (!role) throw new InventoryError(`unknown role '${name}'; roles are: ${chain.list().join(', ')}`, { file: '(roles)', field: 'role' });
      return role;
    },
    async loadAll(): Promise<Role[]> {
      const roles = await Promise.all(chain.list().map((name) => chain.load(name).catch(() => undefined)));
      return roles.filter((r): r is Role => r !== undefined);
    },
  };
  return chain;
}

/** Checks that a module's default export has the shape of a role called `name`. */
export function asRole(value: unknown, name: string, file: string): Role {
  const problem = (reason: string) => new InventoryError(`role ${name}: ${reason}`, { file, field: 'export default' });
  if (!value || typeof value !== 'object') throw problem('the file must `export default defineRole({...})`');
  const role = value as Partial<Role>;
  if (role.name !== name) throw problem(`its name is ${JSON.stringify(role.name)}, but its folder says ${JSON.stringify(name)}`);
  if (typeof role.steps !== 'function') throw problem('steps must be a function (vars, ctx) => Step[]');
  if (!role.defaults || typeof role.defaults !== 'object') throw problem('defaults must be an object (use {} for none)');
  if (typeof role.description !== 'string') throw problem('description must be a string');
  if (role.logs !== undefined && typeof role.logs !== 'function') throw problem('logs must be a function (vars, { facts }) => [{ unit, files }]');
  return role as Role;
}
