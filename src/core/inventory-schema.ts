// The shape of an inventory file, as zod schemas. The native schema is also published as
// docs/inventory.schema.json (scripts/gen-schema.ts) so editors can autocomplete and check inventories.
// Messages are written here, next to the rule they explain; they never quote a variable's value.
import { isIP, isIPv4 } from 'node:net';
import * as z from 'zod';
import { asciiJson, describeValue } from './yaml-source.ts';

/** Host and group names: no shell metacharacter, no space, no quote can ever be part of one. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Variable names: what a template can read as `locals.name`. */
export const VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** POSIX-portable user names (useradd's rule), optionally ending in `$`. */
export const USER_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,31}\$?$/;

/** IPv4, IPv6 (no brackets) or a DNS name (RFC 1123 labels; a last label of only digits is not a name). */
export function isValidAddress(s: string): boolean {
  if (isIP(s) !== 0) return true;
  if (s.length > 253 || !/^[A-Za-z0-9.-]+$/.test(s)) return false;
  const labels = (s.endsWith('.') ? s.slice(0, -1) : s).split('.');
  if (labels.some((l) => !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) return false;
  return !/^[0-9]+$/.test(labels[labels.length - 1]!);
}

export function addressProblem(input: unknown): string {
  if (input === undefined) return 'is required';
  if (typeof input !== 'string') return `expected an IPv4/IPv6 address or a DNS name, got ${describeValue(input)}`;
  const shown = input.length > 80 ? asciiJson(input.slice(0, 80)) + '…' : asciiJson(input);
  if (/^\[.*\]$/.test(input)) return `${shown}: write an IPv6 address without brackets`;
  return `${shown} is not an IPv4/IPv6 address or a DNS name`;
}

const nameRule = (what: string) =>
  z
    .string()
    .max(253, { error: `${what} name is too long (at most 253 characters)` })
    .regex(NAME_RE, {
      error: (iss) =>
        typeof iss.input === 'string' && /\[[^\]]*:[^\]]*\]/.test(iss.input)
          ? `host ranges like web-[01:03] are not supported: list each host`
          : `invalid ${what} name: use letters, digits, ".", "_" and "-", starting with a letter or digit`,
    });

export const HostName = nameRule('host');
export const GroupName = nameRule('group');
export const VarName = z.string().regex(VAR_NAME_RE, {
  error: 'invalid variable name: use letters, digits and "_", not starting with a digit',
});

export const Port = z
  .number({ error: (iss) => `expected a port number from 1 to 65535, got ${describeValue(iss.input)}` })
  .int({ error: 'a port must be an integer from 1 to 65535' })
  .min(1, { error: (iss) => `port ${String(iss.input)} is out of range (1 to 65535)` })
  .max(65535, { error: (iss) => `port ${String(iss.input)} is out of range (1 to 65535)` });

export const Address = z
  .string({ error: (iss) => addressProblem(iss.input) })
  .refine(isValidAddress, { error: (iss) => addressProblem(iss.input) })
  .meta({ description: 'IPv4 address, IPv6 address (no brackets) or DNS name' });

export const User = z
  .string({ error: (iss) => `expected a user name, got ${describeValue(iss.input)}` })
  .regex(USER_RE, { error: 'invalid user name: letters, digits, "_" and "-", starting with a letter or "_"' });

const yesNo = /^(yes|no|on|off|y|n)$/i;
export const Become = z.boolean({
  error: (iss) =>
    typeof iss.input === 'string' && yesNo.test(iss.input)
      ? `expected true or false, got the string ${asciiJson(iss.input)} (YAML 1.2: write true/false)`
      : `expected true or false, got ${describeValue(iss.input)}`,
});

export const FilePath = z
  .string({ error: (iss) => `expected a file path, got ${describeValue(iss.input)}` })
  .min(1, { error: 'empty file path' })
  .regex(/^[^\0-\x1f]+$/, { error: 'a file path may not contain control characters' });

/** Any plain YAML value: string, number, boolean, null, list or map (no binary, no timestamps). */
export const VarValue = z
  .json({ error: 'unsupported YAML value (use strings, numbers, booleans, lists and maps)' })
  .meta({ id: 'VarValue', description: 'A variable value: string, number, boolean, null, list or map.' });

export const Vars = z
  .record(VarName, VarValue)
  .nullable()
  .meta({ description: 'Variables: name → value. Host vars override group vars, which override `vars` at the top.' });


/** A strict object whose unknown-key message lists the keys it accepts. */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key (expected one of: ${keys})` : undefined),
  });
}

// ---- native format -------------------------------------------------------------------------------

const connectionFields = {
  user: User.optional().meta({ description: 'SSH user (default root). A non-root user needs `become: true` to configure the host.' }),
  port: Port.optional().meta({ description: 'SSH port (default 22).' }),
  become: Become.optional().meta({ description: 'Run commands through `sudo -n` (default false; ignored for root).' }),
  private_key: FilePath.optional().meta({
    description: 'Private key file, relative to the inventory file (`~/` allowed). Default: ssh-agent.',
  }),
};

export const NativeConnection = strict({
  ...connectionFields,
  known_hosts: FilePath.optional().meta({
    description: 'known_hosts file that host keys are verified against, relative to the inventory (default: known_hosts beside it).',
  }),
}).meta({ description: 'Connection defaults for every host; each host may override user, port, become and private_key.' });

export const NativeHost = strict({
  address: Address.meta({ description: 'Address SSH connects to.' }),
  private_address: Address.optional().meta({
    description: 'Address the other tiers reach this host’s services at (configs, firewall rules, MySQL grants). Default: address.',
  }),
  ...connectionFields,
  vars: Vars.optional(),
}).meta({ description: 'A host: its address, connection overrides and variables.' });

export const NativeGroup = strict({
  vars: Vars.optional(),
  hosts: z.record(HostName, NativeHost).nullable().optional().meta({ description: 'Hosts of the group by name.' }),
})
  .nullable()
  .meta({ description: 'A group of hosts (lb, web, app, db, …) with variables for all of them.' });

export const NativeInventory = strict({
  connection: NativeConnection.optional(),
  secrets: FilePath.optional().meta({
    description: 'age-encrypted secrets file (name → string), relative to the inventory. Its names become variables.',
  }),
  vars: Vars.optional(),
  groups: z.record(GroupName, NativeGroup).meta({ description: 'Groups by name, in order; each host belongs to exactly one.' }),
}).meta({
  title: 'scaleup inventory',
  description: 'Hosts, groups and variables for `provision`. See docs/inventory.md.',
});

export type NativeInventoryData = z.output<typeof NativeInventory>;

/** The top-level keys that mark a native inventory. */
export const NATIVE_KEYS = ['connection', 'secrets', 'vars', 'groups'] as const;

// ---- Ansible YAML inventory ----------------------------------------------------------------------

export interface AnsibleGroupData {
  hosts?: Record<string, Record<string, unknown> | null> | null;
  vars?: Record<string, unknown> | null;
  children?: Record<string, AnsibleGroupData | null> | null;
}

export const AnsibleHostVars = z.record(VarName, VarValue).nullable();

export const AnsibleGroup: z.ZodType<AnsibleGroupData> = z.lazy(() =>
  strict({
    hosts: z.record(HostName, AnsibleHostVars).nullable().optional(),
    vars: z.record(VarName, VarValue).nullable().optional(),
    children: z.record(GroupName, AnsibleGroup.nullable()).nullable().optional(),
  }),
);

export const AnsibleInventory = z.record(GroupName, AnsibleGroup.nullable());

// ---- generic wording for everything else ---------------------------------------------------------

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a map',
  record: 'a map',
  array: 'a list',
  null: 'null',
};

/** zod error map for messages no schema wrote itself. */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === 'invalid_union') return 'unsupported YAML value (use strings, numbers, booleans, null, lists and maps)';
  if (iss.code === 'invalid_type') {
    if (iss.input === undefined) return 'is required';
    return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
  }
  return undefined;
};
