// `provision apply --list-tasks`: each play's roles and their steps on each host, with their tags as
// Ansible shows them, without connecting and without opening the secrets (src/core/task-list.ts says
// how steps that depend on facts are found). Hosts whose listings are the same are shown together.
import { hostsInGroup } from '../../core/host-groups.ts';
import { withSecrets } from '../../core/inventory.ts';
import { secretVariableNames } from '../../core/role-secrets.ts';
import { Secret } from '../../core/secret.ts';
import { listPlayTasks, type ListedRole } from '../../core/task-list.ts';
import { safeHostLine as line } from '../../core/host-text.ts';
import { selectProject, type ProjectOptions } from '../project.ts';
import { extraVars, overriddenHost } from '../run-overrides.ts';

const factValue = (v: unknown): string => line(typeof v === 'string' ? v : JSON.stringify(v));

function roleLines(listed: ListedRole): string[] {
  const lines = listed.steps.map((s) =>
    `      ${line(listed.role)} : ${line(s.name)}${s.dependsOn.length ? ` (when ${s.dependsOn.map((k) => `${k}=${factValue(listed.factsRead[k as keyof typeof listed.factsRead])}`).join(', ')})` : ''}\tTAGS: [${s.tags.map(line).join(', ')}]`);
  if (listed.error) return [`      ${line(listed.role)} : (steps not known without connecting: ${line(listed.error)})`];
  // A role --tags or --skip-tags leaves no step of runs nothing, handlers included.
  if (!listed.steps.length) return [];
  if (listed.handlers.length) lines.push(`      ${line(listed.role)} : handlers, run when notified: ${listed.handlers.map(line).join(', ')}`);
  if (listed.otherSteps) {
    const facts = Object.keys(listed.factsRead).join(' or ');
    lines.push(`      ${line(listed.role)} : + ${listed.otherSteps} other step(s) on a host with another ${facts}`);
  }
  return lines;
}

/** The listing, as printed. */
export async function listTasks(options: ProjectOptions, tags: string[] | undefined, skipTags: string[] | undefined): Promise<string> {
  const { plain: read, selected, playRoles } = await selectProject(options);
  // The secrets file stays closed: each secret variable holds a stand-in, which no step name shows
  // (a step is named after what it changes, never after a secret's value).
  const standIns = Object.fromEntries([...secretVariableNames([...playRoles.values()])].map((n) => [n, new Secret('not-opened-by-list-tasks')]));
  const plain = withSecrets(read, standIns);
  const extra = extraVars(options.extraVars ?? [], [...playRoles.values()]);
  const hostsIn = hostsInGroup(plain);
  let out = '';
  let factDependent = false;
  for (const [i, { play, roleNames, hosts }] of selected.entries()) {
    out += `play #${i + 1} (${line(play.name)}): ${line(play.hosts)}\n`;
    const listed = listPlayTasks(
      plain,
      hosts.map((h) => overriddenHost(plain.hosts.get(h)!, extra, options.connection ?? {})),
      roleNames.map((r) => playRoles.get(r)!),
      { hostsIn, tags, skipTags },
    );
    // Hosts with the same steps are listed once, in inventory order.
    const byListing = new Map<string, string[]>();
    for (const [host, roles] of listed) {
      const lines = roles.flatMap(roleLines);
      if (!lines.length) continue;
      factDependent ||= roles.some((r) => r.steps.some((s) => s.dependsOn.length) || r.otherSteps);
      const text = lines.join('\n') + '\n';
      byListing.set(text, [...(byListing.get(text) ?? []), host]);
    }
    if (!byListing.size) out += '  (no step selected by --tags and --skip-tags)\n';
    for (const [text, names] of byListing) {
      out += `  ${names.length > 1 ? 'hosts' : 'host'} ${names.map(line).join(', ')}:\n    tasks:\n${text}`;
    }
  }
  out += '\nListed without connecting. Facts assumed: Debian 12 under systemd, the host\'s private address on eth0' +
    (factDependent ? ';\na step marked (when …) is there only for that value' : '') +
    '.\nSecrets not opened: each secret variable holds a stand-in.\n';
  return out;
}
