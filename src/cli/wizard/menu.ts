// Coming back to an existing inventory: what can be done with it, in one list, until Quit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkbox, confirm, input, select } from '@inquirer/prompts';
import { topologyGraph } from '../commands/graph.ts';
import { ScaleupError } from '../../core/errors.ts';
import { selectHosts } from '../../core/host-pattern.ts';
import { readInventory } from '../../core/inventory.ts';
import { VAR_NAME_RE } from '../../core/inventory-schema.ts';
import type { Inventory } from '../../core/model.ts';
import { loadPlaybook } from '../../core/playbook.ts';
import type { Role } from '../../core/role.ts';
import { BECOME_PASSWORD, secretVariableNames } from '../../core/role-secrets.ts';
import { variableMeta } from '../../core/role-variables.ts';
import { schemaProblems } from '../../core/variable-problems.ts';
import { closest } from '../../core/yaml-source.ts';
import type * as z from 'zod';
import { EXIT } from '../exit-codes.ts';
import { isPromptExit, type WizardContext } from './context.ts';
import { addHostToInventoryText, parseVarInput, setVarInInventoryText, topLevelVars } from './edit-inventory.ts';
import { trustHostKeys } from './host-keys.ts';
import { failureList } from './run-failures.ts';
import { hasCommand, planAndApply, playbookFor, runProvisionCommand, wizardRoles, type RunOutcome, type RunRequest } from './run.ts';
import { STACK_SECRETS } from './secrets.ts';
import { describeInventory } from './start.ts';
import { nextHostName, TIERS } from './tiers.ts';
import { asValidate, databaseProblem, hostAddressProblem, hostNameProblem, portProblem, vipProblem } from './validate.ts';
import { writeInventoryFile } from './write-inventory.ts';

type Action = 'apply' | 'role' | 'add' | 'drift' | 'verify' | 'vars' | 'keys' | 'graph' | 'quit';

function run(ctx: WizardContext, request: RunRequest): Promise<RunOutcome> {
  return (ctx.options.planAndApply ?? planAndApply)(ctx, request);
}

/** Roles of the playbook in the order they run, each with the hosts it targets. */
function playbookRoles(ctx: WizardContext, inventory: Inventory): Map<string, string[]> {
  const playbook = loadPlaybook(playbookFor(ctx.cwd), inventory, wizardRoles(ctx.cwd).list());
  const roles = new Map<string, string[]>();
  for (const play of playbook.plays) {
    const hosts = selectHosts(inventory, play.hosts).map((h) => h.name);
    for (const r of play.roles) roles.set(r, [...new Set([...(roles.get(r) ?? []), ...hosts])]);
  }
  return roles;
}

async function rerunRole(ctx: WizardContext, inventory: Inventory): Promise<RunOutcome> {
  const roles = playbookRoles(ctx, inventory);
  const source = wizardRoles(ctx.cwd);
  const described = await Promise.all(
    [...roles].map(async ([name, hosts]) => ({
      name,
      value: name,
      description: `${(await source.load(name).catch(() => undefined))?.description ?? ''} (on ${hosts.join(', ')})`.trim(),
    })),
  );
  const role = await select<string>({ message: 'Which role?', choices: described });
  const targets = roles.get(role)!;
  const hosts = targets.length === 1
    ? targets
    : await checkbox<string>({
        message: `Run ${role} on which hosts? (space toggles, Enter confirms)`,
        choices: targets.map((h) => ({ name: h, value: h, checked: true })),
        validate: (chosen) => chosen.length > 0 || 'choose at least one host',
      });
  return run(ctx, { inventory: inventory.file, roles: [role], limit: hosts.length === targets.length ? undefined : hosts });
}

function requireNative(inventory: Inventory): void {
  if (inventory.format !== 'native') {
    throw new ScaleupError(`${path.basename(inventory.file)} is in Ansible's format; the wizard edits scaleup-format inventories only (edit it by hand)`);
  }
}

async function addHost(ctx: WizardContext, inventory: Inventory): Promise<RunOutcome> {
  requireNative(inventory);
  const known = TIERS.map((t) => t.tier as string).filter((t) => inventory.groups.has(t));
  const groups = [...known, ...[...inventory.groups.keys()].filter((g) => !known.includes(g))];
  const group = await select<string>({
    message: 'Add a host to which tier?',
    choices: groups.map((g) => ({
      name: g,
      value: g,
      description: `${TIERS.find((t) => t.tier === g)?.label ?? 'group'}: ${(inventory.groups.get(g) ?? []).join(', ')}`,
    })),
  });
  const all = [...inventory.hosts.values()].map((h) => ({ name: h.name, address: h.address }));
  const members = (inventory.groups.get(group) ?? []).map((n) => inventory.hosts.get(n)!);
  const name = (await input({
    message: 'Name of the new host',
    default: nextHostName(group, members.map((h) => h.name)),
    validate: asValidate((v) => hostNameProblem(v, [...inventory.hosts.keys(), ...inventory.groups.keys()])),
  })).trim();
  const address = (await input({
    message: `${name} address`,
    validate: asValidate((v) => hostAddressProblem(v, group, all, group === 'lb' ? members : [])),
  })).trim();

  const text = readFileSync(inventory.file, 'utf8');
  writeInventoryFile(inventory.file, addHostToInventoryText(text, group, name, address));
  ctx.say(ctx.c.ok(`Added ${name} (${address}) to ${group} in ${ctx.show(inventory.file)}.`));

  const updated = readInventory(inventory.file);
  await trustHostKeys(ctx, [updated.hosts.get(name)!], updated.knownHosts);
  ctx.say(`${name} joins the stack when everything is applied: the other tiers' configs list it (e.g. HAProxy's backends, nginx's upstream).`);
  // Enter changes nothing on the hosts (here, and again at the plan).
  if (!(await confirm({ message: 'Apply everything now?', default: false }))) return { code: EXIT.ok };
  return run(ctx, { inventory: inventory.file });
}

interface DeclaredVariable {
  role: string;
  description: string;
  shownDefault: string;
  field?: z.ZodType;
}

/** Every variable the roles declare, by name: the role that reads it, its description and default. */
function declaredVariables(roles: Role[]): Map<string, DeclaredVariable> {
  const out = new Map<string, DeclaredVariable>();
  for (const role of roles) {
    for (const [name, def] of Object.entries(role.defaults)) {
      if (out.has(name)) continue;
      const field = role.variables?.shape[name] as z.ZodType | undefined;
      const meta = field ? variableMeta(field) : { description: '', secret: (role.secrets ?? []).includes(name) };
      out.set(name, {
        role: `role ${role.name}`,
        description: meta.description || 'see the role README',
        shownDefault: meta.secret ? '(secret)' : JSON.stringify(def),
        ...(field ? { field } : {}),
      });
    }
  }
  return out;
}

/** What the variable's schema says of the value typed (as the inventory will hold it). */
function schemaProblem(about: DeclaredVariable | undefined, name: string, typed: string): string | undefined {
  if (!about?.field) return undefined;
  const [problem] = schemaProblems(name, about.field, parseVarInput(typed));
  return problem ? `${name}${problem.path.length ? `[${problem.path.join('.')}]` : ''} ${problem.problem}` : undefined;
}

/** What a known variable must be; anything else just must not be empty. */
function varProblem(name: string, value: string, inventory: Inventory): string | undefined {
  if (value === '') return 'enter a value';
  const hosts = [...inventory.hosts.values()].map((h) => ({ name: h.name, address: h.address }));
  const lb = (inventory.groups.get('lb') ?? []).map((n) => inventory.hosts.get(n)!).map((h) => ({ name: h.name, address: h.address }));
  if (name === 'vip') return vipProblem(value, lb, hosts);
  if (/_port$/.test(name)) return portProblem(value);
  if (name === 'mysql_app_database') return databaseProblem(value);
  return undefined;
}

async function editVariables(ctx: WizardContext, inventory: Inventory): Promise<RunOutcome> {
  requireNative(inventory);
  let changed = false;
  // The values of variables a role declares secret (and the sudo password) are never shown.
  const roles = await wizardRoles(ctx.cwd).loadAll();
  const secret = secretVariableNames(roles);
  // What the project's roles declare: each variable's role, and (for a role with a schema) its schema.
  const declared = declaredVariables(roles);
  for (;;) {
    const vars = topLevelVars(readFileSync(inventory.file, 'utf8'));
    const pick = await select<string>({
      message: 'Which variable? (every host sees these; group and host vars in the file override them)',
      choices: [
        ...Object.entries(vars).map(([k, v]) => ({ name: `${k} = ${secret.has(k) ? '***' : JSON.stringify(v)}`, value: `var:${k}` })),
        { name: 'Add a variable…', value: 'add' },
        { name: 'Done', value: 'done' },
      ],
      default: 'done',
    });
    if (pick === 'done') break;
    let name: string;
    if (pick === 'add') {
      const secretNames = STACK_SECRETS.map((s) => s.name);
      name = (await input({
        message: 'Variable name (see the role READMEs for what each role reads)',
        validate: asValidate((v) => {
          if (!VAR_NAME_RE.test(v)) return 'letters, digits and "_", not starting with a digit';
          if (secretNames.includes(v) || /password|pass$|secret/.test(v)) {
            return `${v} looks like a secret: put it in the secrets file (provision vault set FILE ${v})`;
          }
          if (v in vars) return `${v} exists: choose it from the list to change it`;
          if (!declared.has(v) && v !== BECOME_PASSWORD) {
            const hint = closest(v, [...declared.keys()]);
            return `no role of this project reads ${v}${hint ? ` (did you mean ${hint}?)` : ''}`;
          }
          return undefined;
        }),
      })).trim();
    } else {
      name = pick.slice('var:'.length);
    }
    const current = vars[name];
    const about = declared.get(name);
    const value = (await input({
      message: about ? `${name} — ${about.description} (${about.role}; default ${about.shownDefault})` : name,
      default: current === undefined || current === null ? undefined : String(current),
      validate: asValidate((v) => varProblem(name, v, inventory) ?? schemaProblem(about, name, v)),
    })).trim();
    writeInventoryFile(inventory.file, setVarInInventoryText(readFileSync(inventory.file, 'utf8'), name, parseVarInput(value)));
    ctx.say(ctx.c.ok(`${name} set in ${ctx.show(inventory.file)}.`));
    changed = true;
  }
  if (!changed) return { code: EXIT.ok };
  if (!(await confirm({ message: 'Apply the change to the hosts now?', default: false }))) return { code: EXIT.ok };
  return run(ctx, { inventory: inventory.file });
}

/**
 * The menu over an existing inventory; returns the exit code of the last action. `after`: a run that
 * came before (the first apply of a new inventory), whose failures are listed above the menu.
 */
export async function inventoryMenu(ctx: WizardContext, file: string, after?: RunOutcome): Promise<number> {
  let outcome: RunOutcome = after ?? { code: EXIT.ok };
  let last: Action = 'apply';
  for (;;) {
    // A run that failed comes back here rather than ending the wizard: what failed, then what to do next.
    if (outcome.failures?.length) {
      ctx.say(`\n${failureList(outcome.failures, { color: ctx.color })}Fix the cause (the role, a variable, the host), then apply again.`);
    }
    let inventory: Inventory;
    try {
      inventory = readInventory(file);
    } catch (err) {
      ctx.say(ctx.c.failed(err instanceof Error ? err.message : String(err)));
      return EXIT.usage;
    }
    ctx.say(`\n${ctx.c.bold(ctx.show(file))}  ${describeInventory(inventory)}`);
    const verify = hasCommand(ctx, 'verify');
    const action: Action = await select<Action>({
      message: 'What would you like to do?',
      default: last,
      choices: [
        { name: 'Apply everything', value: 'apply', description: 'See what would change on every host, then converge it.' },
        { name: 'Re-run one role', value: 'role', description: 'Choose a role and the hosts to run it on.' },
        { name: 'Add a host to a tier', value: 'add', description: 'Writes it into the inventory, trusts its key, offers to apply.' },
        { name: 'Check for drift', value: 'drift', description: 'Check mode only: what differs on the hosts from the inventory and templates.' },
        { name: 'Verify the running stack', value: 'verify', disabled: verify ? false : '(provision verify is not available)', description: 'provision verify: the VIP, every backend, the database login.' },
        { name: 'Edit variables', value: 'vars', description: 'The VIP, ports, names: the `vars` of the inventory.' },
        { name: 'Trust host keys', value: 'keys', description: 'Pin the SSH host keys of hosts not trusted yet.' },
        { name: 'Show the topology', value: 'graph', description: 'A Mermaid diagram of the hosts and the traffic (provision graph).' },
        { name: 'Quit', value: 'quit' },
      ],
    });
    if (action === 'quit') return outcome.code;
    last = action;
    try {
      switch (action) {
        case 'apply':
          outcome = await run(ctx, { inventory: file });
          break;
        case 'role':
          outcome = await rerunRole(ctx, inventory);
          break;
        case 'add':
          outcome = await addHost(ctx, inventory);
          break;
        case 'drift':
          outcome = await run(ctx, { inventory: file, purpose: 'drift' });
          break;
        case 'verify':
          outcome = { code: await runProvisionCommand(ctx, ['verify', '-i', file]) };
          break;
        case 'vars':
          outcome = await editVariables(ctx, inventory);
          break;
        case 'keys': {
          const trusted = await trustHostKeys(ctx, [...inventory.hosts.values()], inventory.knownHosts);
          outcome = { code: trusted.refused.length || trusted.unreachable.length ? EXIT.unreachable : EXIT.ok };
          break;
        }
        case 'graph':
          ctx.say(topologyGraph(inventory, 'mermaid'));
          outcome = { code: EXIT.ok };
          break;
      }
    } catch (err) {
      // A mistake in the inventory or a host that is down ends the action, not the session.
      if (isPromptExit(err) || !(err instanceof ScaleupError)) throw err;
      ctx.say(ctx.c.failed(`error: ${err.message}`));
      outcome = { code: EXIT.usage };
    }
  }
}
