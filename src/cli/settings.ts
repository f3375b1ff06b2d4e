// The settings of a run, each from the first place that gives it: a flag, then an environment
// variable, then the project's scaleup.yml, then the default — Ansible's precedence for ansible.cfg.
// Paths from a flag or the environment are relative to the working directory; paths in scaleup.yml
// to the project's root.
import path from 'node:path';
import { InventoryError } from '../core/errors.ts';
import { loadProjectConfig, type ProjectConfig } from '../core/project-config.ts';
import { DEFAULT_SSH_PERSIST_SECONDS } from './connection-keeper.ts';
import { MAX_TIMER_SECONDS, SSH_PERSIST_RULE, wholeNumberProblem, type WholeNumberRule } from './commands/numeric-flags.ts';
import { projectRoleSource } from './role-sources.ts';

export const DEFAULT_FORKS = 10;
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

/** What the command line gave (undefined: not given). */
export interface SettingFlags {
  inventory?: string;
  playbook?: string;
  forks?: number;
  sshPersist?: number;
  connectTimeout?: number;
}

export interface Settings {
  project: ProjectConfig;
  /** Absolute path of the inventory, when one is set anywhere. */
  inventory?: string;
  /** Absolute path of the playbook. */
  playbook: string;
  forks: number;
  /** Role folders after the project's roles/, absolute. */
  rolesPath: string[];
  sshPersistSeconds: number;
  connectTimeoutSeconds: number;
}

function envNumber(env: NodeJS.ProcessEnv, name: string, rule: WholeNumberRule): number | undefined {
  const given = env[name];
  if (given === undefined || given === '') return undefined;
  const problem = wholeNumberProblem(given, rule);
  if (problem) throw new InventoryError(`'${given}' is not ${problem}`, { file: '(environment)', field: name });
  return Number(given);
}

const envPath = (env: NodeJS.ProcessEnv, name: string, cwd: string) => (env[name] ? path.resolve(cwd, env[name]) : undefined);

export function resolveSettings(flags: SettingFlags = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const project = loadProjectConfig(cwd);
  const config = project.settings;
  const fromCwd = (p: string | undefined) => (p === undefined ? undefined : path.resolve(cwd, p));
  const rolesPathEnv = env.SCALEUP_ROLES_PATH?.split(':').filter(Boolean).map((p) => path.resolve(cwd, p));
  return {
    project,
    inventory: fromCwd(flags.inventory) ?? envPath(env, 'SCALEUP_INVENTORY', cwd) ?? config.inventory,
    playbook: fromCwd(flags.playbook) ?? envPath(env, 'SCALEUP_PLAYBOOK', cwd) ?? config.playbook ?? path.join(project.root, 'playbooks', 'site.yml'),
    forks: flags.forks ?? envNumber(env, 'SCALEUP_FORKS', { min: 1, max: 500 }) ?? config.forks ?? DEFAULT_FORKS,
    rolesPath: rolesPathEnv?.length ? rolesPathEnv : config.roles_path ?? [],
    sshPersistSeconds: flags.sshPersist ?? envNumber(env, 'SCALEUP_SSH_PERSIST', SSH_PERSIST_RULE) ?? config.ssh_persist ?? DEFAULT_SSH_PERSIST_SECONDS,
    connectTimeoutSeconds: flags.connectTimeout ??
      envNumber(env, 'SCALEUP_CONNECT_TIMEOUT', { min: 1, max: MAX_TIMER_SECONDS, unit: 'seconds' }) ??
      config.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS,
  };
}

/** The roles a run with these settings can use (project, roles_path, built-in). */
export function rolesFor(settings: Settings): ReturnType<typeof projectRoleSource> {
  return projectRoleSource({ projectRoot: settings.project.root, rolesPath: settings.rolesPath });
}
