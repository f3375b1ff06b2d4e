// scaleup.yml: a project's settings, what ansible.cfg holds for Ansible. Its folder is the project's
// root; every path in it is relative to that folder, never to the working directory.
//   inventory: inventory/hosts.yml   # default for -i
//   playbook: playbooks/site.yml     # default for -p
//   forks: 10                        # hosts worked on in parallel
//   roles_path: [../shared-roles]    # role folders searched after the project's roles/
//   ssh_persist: 60                  # seconds SSH connections are kept for the next run (0: none)
//   connect_timeout: 10              # seconds to wait for a host's SSH handshake
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { errorMap } from './inventory-schema.ts';
import { describeValue, issuesToErrors, readYamlFile, throwIfAny } from './yaml-source.ts';

export const PROJECT_CONFIG_FILE = 'scaleup.yml';

const whole = (min: number, max: number, what: string) =>
  z.number({ error: (iss) => `expected ${what}, got ${describeValue(iss.input)}` })
    .int({ error: `expected ${what}` }).min(min, { error: `expected ${what}` }).max(max, { error: `expected ${what}` });
const relativePath = z.string({ error: (iss) => `expected a path, got ${describeValue(iss.input)}` }).min(1, { error: 'empty path' });

export const ProjectConfigShape = {
  inventory: relativePath.optional().describe('Inventory used when -i and $SCALEUP_INVENTORY are not given (relative to this file).'),
  playbook: relativePath.optional().describe('Playbook used when -p is not given (relative to this file).'),
  forks: whole(1, 500, 'a whole number of hosts from 1 to 500').optional().describe('Hosts worked on in parallel (default 10).'),
  roles_path: z.array(relativePath, { error: (iss) => `expected a list of folders, got ${describeValue(iss.input)}` })
    .optional().describe('Role folders searched after the project\'s roles/ and before the built-in roles (relative to this file).'),
  ssh_persist: whole(0, 86_400, 'whole seconds from 0 to 86400').optional()
    .describe('Seconds SSH connections are kept open after a run for the next one; 0 keeps none (default 60).'),
  connect_timeout: whole(1, 600, 'whole seconds from 1 to 600').optional()
    .describe('Seconds to wait for a host to answer and finish the SSH handshake (default 10).'),
};

export const ProjectConfigSchema = z.strictObject(ProjectConfigShape, {
  error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key (expected one of: ${Object.keys(ProjectConfigShape).join(', ')})` : undefined),
});

export type ProjectConfigData = z.infer<typeof ProjectConfigSchema>;

export interface ProjectConfig {
  /** The project's root: the folder holding scaleup.yml (or the working directory, when none is found). */
  root: string;
  /** Absolute path of scaleup.yml, when there is one. */
  file?: string;
  /** Its settings, paths made absolute. */
  settings: ProjectConfigData;
}

/** The nearest folder from `start` upwards that holds scaleup.yml, like git finds .git. */
export function findProjectRoot(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, PROJECT_CONFIG_FILE))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Reads the project `start` is in; errors name scaleup.yml's line and column. */
export function loadProjectConfig(start: string): ProjectConfig {
  const root = findProjectRoot(start);
  if (!root) return { root: path.resolve(start), settings: {} };
  const file = path.join(root, PROJECT_CONFIG_FILE);
  const source = readYamlFile(file, { kind: 'project config', allowEmpty: true });
  const parsed = ProjectConfigSchema.safeParse(source.data ?? {}, { error: errorMap });
  if (!parsed.success) throwIfAny(issuesToErrors(source, parsed.error.issues));
  const s = parsed.data!;
  const abs = (p: string) => path.resolve(root, p);
  return {
    root,
    file,
    settings: {
      ...s,
      ...(s.inventory ? { inventory: abs(s.inventory) } : {}),
      ...(s.playbook ? { playbook: abs(s.playbook) } : {}),
      ...(s.roles_path ? { roles_path: s.roles_path.map(abs) } : {}),
    },
  };
}
