// A role's variables declared once, as a zod object (Ansible's argument_spec, pyinfra's DataMeta):
// each field is a schema with `.default()` and `.describe()`, and `.meta({ secret: true })` for a
// secret. The defaults, the checks before connecting, the secret names and the README table all come
// from that one declaration. `vars` holds the shapes the shipped roles use most, each one line.
import * as z from 'zod';
import { InventoryError } from './errors.ts';
import type { Vars } from './model.ts';
import { Secret } from './secret.ts';

/** What `variables` holds: one schema per variable. */
export type VariablesSchema = z.ZodObject;

/**
 * Text. A YAML number is read as its text (`timeout: 30`), as the config file it is written into
 * would read it; anything else (a list, true) is refused.
 */
const text = () => z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string());

/** Shorthands for the common variable shapes: `vars.port(80, 'TCP port nginx listens on.')`. */
export const vars = {
  /** Text (a YAML number is read as its text). */
  text: (def: string, description: string) => text().default(def).describe(description),
  /** A TCP/UDP port, 1–65535. */
  port: (def: number, description: string) => z.number().int().min(1).max(65535).default(def).describe(description),
  /** A whole number ≥ `min` (default 1): a count, a size, a number of seconds. */
  count: (def: number, description: string, min = 1) => z.number().int().min(min).default(def).describe(description),
  /** true or false. */
  flag: (def: boolean, description: string) => z.boolean().default(def).describe(description),
  /** A list of strings. */
  list: (def: string[], description: string) => z.array(text()).default(def).describe(description),
  /**
   * A map of names to text, each value possibly a Secret from the vault (masked in every output):
   * environment variables, headers. Names are checked by the role, which knows what they name.
   */
  map: (description: string) => z.record(z.string(), z.union([z.instanceof(Secret).meta({ title: 'vault secret' }), text()])).default({}).describe(description),
  /**
   * A secret: a Secret from the vault, or plain text (which the CLI warns about); no default. Masked
   * in every output whatever its value.
   */
  secret: (description: string) =>
    z.union([z.instanceof(Secret), z.string(), z.null()]).default(null).describe(description).meta({ secret: true }),
};

/** The declaration of one variable: its description and whether it is secret. */
export function variableMeta(field: z.ZodType): { description: string; secret: boolean } {
  const meta = field.meta() ?? {};
  return { description: typeof meta.description === 'string' ? meta.description : '', secret: meta.secret === true };
}

/** Names of the variables declared secret, in declaration order. */
export function secretVariables(schema: VariablesSchema): string[] {
  return Object.entries(schema.shape).filter(([, field]) => variableMeta(field).secret).map(([name]) => name);
}

/**
 * Every variable's default (`schema.parse({})`, one field at a time so a field without a default is
 * named). A variable without one would be missing from the role's vars, and read as undeclared.
 */
export function variableDefaults(role: string, schema: VariablesSchema): Vars {
  const defaults: Vars = {};
  for (const [name, field] of Object.entries(schema.shape)) {
    const parsed = field.safeParse(undefined);
    if (!parsed.success || parsed.data === undefined) {
      throw new InventoryError(`variable '${name}' has no default: give it .default(…) (null for none)`, { file: `role ${role}`, field: `variables.${name}` });
    }
    defaults[name] = parsed.data as Vars[string];
  }
  return defaults;
}
