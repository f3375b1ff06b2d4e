// A playbook: an ordered list of plays, each mapping a host pattern to roles, like Ansible's.
//   - name: Load balancers
//     hosts: lb              # host pattern (src/core/host-pattern.ts); a list is a union
//     serial: 1              # rolling batches: a count or "50%" of the play's hosts
//     max_fail_percentage: 0 # stop rolling when more than this % of a batch failed
//     roles: [haproxy, keepalived]
// Validated against the inventory and the known roles before any connection.
import * as z from 'zod';
import type { InventoryError, SourceLocation } from './errors.ts';
import { resolvePattern, unknownPatternMessage } from './host-pattern.ts';
import { errorMap } from './inventory-schema.ts';
import type { Inventory } from './model.ts';
import { closest, describeValue, issuesToErrors, listNames, readYamlFile, throwIfAny } from './yaml-source.ts';

export interface Play {
  /** The play's name, or its host pattern when it has none. */
  name: string;
  /** Host pattern as written (a YAML list is joined with commas); pass it to selectHosts(). */
  hosts: string;
  /** Role names, in the order they run on each host. */
  roles: string[];
  /** Rolling batch size: a host count, or a percentage string such as `"50%"`. Absent: all at once. */
  serial?: number | string;
  /**
   * Ansible semantics: after a batch, stop the play when failed hosts exceed this percentage of the batch
   * (0: any failure stops it). Absent: failed hosts stop alone and the others go on.
   */
  maxFailPercentage?: number;
  /** Where the play starts in the playbook. */
  location: SourceLocation;
}

export interface Playbook {
  /** Absolute path of the playbook file. */
  file: string;
  plays: Play[];
}

const keysOf = (shape: object) => Object.keys(shape).join(', ');
const SERIAL = 'expected a host count (1 or more) or a percentage from 1% to 100%';

const playShape = {
  name: z.string({ error: (iss) => `expected a string, got ${describeValue(iss.input)}` }).min(1, { error: 'empty play name' }).optional(),
  hosts: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
    error: (iss) => (iss.input === undefined ? 'is required' : `expected a host pattern (string or list), got ${describeValue(iss.input)}`),
  }),
  roles: z
    .array(z.string({ error: (iss) => `expected a role name, got ${describeValue(iss.input)}` }), {
      error: (iss) => (iss.input === undefined ? 'is required' : `expected a list of role names, got ${describeValue(iss.input)}`),
    })
    .min(1, { error: 'a play needs at least one role' }),
  serial: z
    .union(
      [
        z.number().int({ error: SERIAL }).min(1, { error: SERIAL }),
        z.string().regex(/^(100|[1-9][0-9]?)%$/, { error: SERIAL }),
      ],
      { error: (iss) => `${SERIAL}, got ${describeValue(iss.input)}` },
    )
    .optional(),
  max_fail_percentage: z
    .number({ error: (iss) => `expected a number from 0 to 100, got ${describeValue(iss.input)}` })
    .min(0, { error: 'must be from 0 to 100' })
    .max(100, { error: 'must be from 0 to 100' })
    .optional(),
};

const PlaySchema = z.strictObject(playShape, {
  error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key (expected one of: ${keysOf(playShape)})` : undefined),
});

const PlaybookSchema = z.array(PlaySchema, {
  error: (iss) => `expected a list of plays, got ${describeValue(iss.input)}`,
});

/**
 * Reads and validates a playbook: its shape, every host pattern against the inventory, and every role
 * against `knownRoles`. Throws InventoryError / InventoryErrors at file:line:column.
 */
export function loadPlaybook(file: string, inventory: Inventory, knownRoles: readonly string[]): Playbook {
  const source = readYamlFile(file, { kind: 'playbook' });
  const parsed = PlaybookSchema.safeParse(source.data, { error: errorMap });
  if (!parsed.success) throwIfAny(issuesToErrors(source, parsed.error.issues));
  const errors: InventoryError[] = [];
  if (parsed.data!.length === 0) errors.push(source.error([], 'the playbook has no play'));
  const plays: Play[] = [];
  parsed.data!.forEach((raw, i) => {
    const hosts = Array.isArray(raw.hosts) ? raw.hosts.join(',') : raw.hosts;
    const { unknown } = resolvePattern(inventory, hosts);
    if (unknown.length > 0) errors.push(source.error([i, 'hosts'], unknownPatternMessage(inventory, unknown)));
    const seen = new Set<string>();
    raw.roles.forEach((role, j) => {
      if (!knownRoles.includes(role)) {
        const hint = closest(role, knownRoles);
        errors.push(
          source.error(
            [i, 'roles', j],
            `unknown role ${JSON.stringify(role)}${hint ? ` (did you mean ${hint}?)` : ''}; roles are: ${listNames(knownRoles)}`,
          ),
        );
      } else if (seen.has(role)) {
        errors.push(source.error([i, 'roles', j], `role ${role} is listed twice in this play`));
      }
      seen.add(role);
    });
    plays.push({
      name: raw.name ?? hosts,
      hosts,
      roles: raw.roles,
      ...(raw.serial !== undefined ? { serial: raw.serial } : {}),
      ...(raw.max_fail_percentage !== undefined ? { maxFailPercentage: raw.max_fail_percentage } : {}),
      location: source.locate([i]),
    });
  });
  throwIfAny(errors);
  return { file: source.file, plays };
}
