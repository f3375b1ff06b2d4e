// Files that hold secrets never show their content in --diff (issue 12, finding 7): the line a new
// version removes may hold a secret the run never knew (the password before a rotation, one the new
// version no longer sets), which no redactor can mask. Each role marks such a file step `secret`.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import app from '../../roles/app/index.ts';
import haproxy from '../../roles/haproxy/index.ts';
import keepalived from '../../roles/keepalived/index.ts';
import mysql from '../../roles/mysql/index.ts';
import nginx from '../../roles/nginx/index.ts';
import type { Inventory } from '../../src/core/model.ts';
import type { Role } from '../../src/core/role.ts';
import { Redactor, Secret } from '../../src/core/secret.ts';
import type { Step } from '../../src/core/steps/step.ts';
import { labInventory, roleOn, secrets, written, type RoleOnHost } from './roles-fixtures.ts';

/** A secret the run does not know: what the file held before it was rotated. */
const OLD = 'old-rotated-password-9f3';
const known = new Redactor();
for (const s of [...Object.values(secrets), new Secret('vrrp-pw1')]) known.add(s);
/** Whether `text` holds a known secret, in any of the forms it takes in a file (quoted, escaped…). */
const holdsSecret = (text: string) => known.redact(text) !== text;

/** The diff --diff shows for `step` on a host whose copy of the file holds `before`. */
async function diffAgainst(run: RoleOnHost, step: Step, before: string): Promise<string> {
  const b64 = Buffer.from(before).toString('base64');
  const stale = createHash('sha256').update('not what the role writes').digest('hex');
  const probe = `exists=1\nowner=root\ngroup=root\nmode=644\nsha256=${stale}  -\nb64=${b64}\n`;
  const changes = await step.decide({ stdout: probe, exitCode: 0 }, { ...run.ctx, diff: true });
  return changes.map((c) => c.diff ?? '').join('\n');
}

const v2 = labInventory({ all: { keepalived_vrrp_version: 2, keepalived_advert_int: 1, keepalived_auth_pass: new Secret('vrrp-pw1') } });
const cases: [string, Role<never>, Inventory, string][] = [
  ['app', app as never, labInventory(), 'app-01'],
  ['haproxy', haproxy as never, labInventory(), 'lb-01'],
  ['keepalived (VRRPv2)', keepalived as never, v2, 'lb-01'],
  ['mysql', mysql as never, labInventory(), 'db-01'],
  ['nginx', nginx as never, labInventory(), 'web-01'],
];

describe('a file step that writes a secret never shows a line of the file in a diff', () => {
  it.each(cases)('%s', async (_name, role, inventory, host) => {
    const run = roleOn(role, inventory, host);
    let holding = 0;
    for (const step of run.steps.filter((s) => /^(template|file) /.test(s.name))) {
      const dest = step.name.replace(/^(template|file) /, '');
      const { content } = await written(run, dest);
      if (!holdsSecret(content)) continue;
      holding++;
      const diff = await diffAgainst(run, step, `${content.split('\n')[0]}\npassword ${OLD}\n`);
      expect(diff, step.name).not.toContain(OLD);
      expect(holdsSecret(diff), step.name).toBe(false);
    }
    // The roles that write a secret into a file: the app's env file, haproxy.cfg, keepalived.conf.
    expect(holding > 0).toBe(['app', 'haproxy', 'keepalived (VRRPv2)'].includes(_name));
  });

  it('keepalived.conf under VRRPv3 too: the copy on the host may still hold a VRRPv2 password', async () => {
    const run = roleOn(keepalived as never, labInventory(), 'lb-01');
    const step = run.steps.find((s) => s.name === 'template /etc/keepalived/keepalived.conf')!;
    const diff = await diffAgainst(run, step, `vrrp_instance VI_1 {\n    authentication {\n        auth_pass ${OLD}\n    }\n}\n`);
    expect(diff).not.toContain(OLD);
  });
});
