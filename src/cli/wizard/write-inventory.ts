// The inventory the wizard writes: a pure function from the answers to the YAML text (the native
// format of docs/inventory.md), and a writer that never leaves a half-written file behind.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Document, isMap, isScalar, type Pair } from 'yaml';
import { ScaleupError } from '../../core/errors.ts';
import { readInventory } from '../../core/inventory.ts';
import { STACK_SECRETS } from './secrets.ts';
import type { Tier } from './tiers.ts';

export interface NewHost {
  tier: Tier;
  name: string;
  address: string;
}

/** Everything the create questions collect; paths are as they will be written (relative to the inventory). */
export interface NewInventory {
  hosts: NewHost[];
  user: string;
  port: number;
  become: boolean;
  /** Private key as written in the inventory (`~/.ssh/id_ed25519`); absent: the ssh-agent. */
  privateKey?: string;
  knownHosts: string;
  secretsFile: string;
  vip: string;
  appPort: number;
  database: string;
}

const HEADER = [
  ' scaleup inventory, written by the `provision` wizard. Edit it freely: run `provision` again to',
  ' re-apply, re-run one role, add a host or check for drift. Paths are relative to this file.',
].join('\n');

function commentKey(map: unknown, key: string, comment: string): void {
  if (!isMap(map)) return;
  const pair = map.items.find((p: Pair) => isScalar(p.key) && p.key.value === key);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${comment}`;
}

/** The YAML text of a new inventory. Pure: same answers, same text. */
export function inventoryDocument(inv: NewInventory): string {
  const groups: Record<string, { hosts: Record<string, { address: string }> }> = {};
  for (const tier of ['lb', 'web', 'app', 'db'] as const) {
    const hosts = inv.hosts.filter((h) => h.tier === tier);
    if (hosts.length) groups[tier] = { hosts: Object.fromEntries(hosts.map((h) => [h.name, { address: h.address }])) };
  }
  const connection: Record<string, unknown> = { user: inv.user, become: inv.become && inv.user !== 'root', port: inv.port };
  if (inv.privateKey) connection.private_key = inv.privateKey;
  connection.known_hosts = inv.knownHosts;

  const doc = new Document({
    connection,
    secrets: inv.secretsFile,
    vars: { vip: inv.vip, app_port: inv.appPort, mysql_app_database: inv.database },
    groups,
  });
  doc.commentBefore = HEADER;
  commentKey(doc.contents, 'connection', 'How to reach every host over SSH (a host entry may override user, port, become, private_key).');
  commentKey(doc.contents, 'secrets', `age-encrypted, beside this file: ${STACK_SECRETS.map((x) => x.name).join(', ')}. Change one: provision vault set ${inv.secretsFile} NAME`);
  const vars = doc.get('vars');
  commentKey(vars, 'vip', 'The address clients use; keepalived moves it between the load balancers.');
  commentKey(vars, 'app_port', 'nginx proxies to the app on this port.');
  commentKey(doc.contents, 'groups', 'lb: HAProxy + keepalived · web: nginx · app: the app · db: MySQL');
  for (const tier of Object.keys(groups)) {
    const hosts = doc.getIn(['groups', tier, 'hosts']);
    if (isMap(hosts)) for (const p of hosts.items) if (isMap(p.value)) p.value.flow = true;
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * Replaces `file` with `text` atomically: written to a temp file beside it, checked (when `check` is
 * given) and renamed over it. Ctrl-C or a failed check leaves the old file (or no file) in place.
 */
export function writeFileAtomic(file: string, text: string, check?: (tmp: string) => void, mode = 0o644): void {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(6).toString('hex')}.tmp`);
  // A file the person made private (it may hold a plain-text become_password) stays private.
  const existing = existsSync(abs) ? statSync(abs).mode & 0o777 : undefined;
  try {
    writeFileSync(tmp, text, { mode: existing ?? mode, flag: 'wx' });
    if (existing !== undefined) chmodSync(tmp, existing);
    check?.(tmp);
    renameSync(tmp, abs);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Writes an inventory only if the engine accepts it: the temp file is loaded and validated with the
 * same code `provision apply` uses before it replaces the real one.
 */
export function writeInventoryFile(file: string, text: string): void {
  writeFileAtomic(file, text, (tmp) => {
    try {
      readInventory(tmp);
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split(path.basename(tmp)).join(path.basename(file));
      throw new ScaleupError(`${path.basename(file)} was not written, the result would be invalid:\n${message}`);
    }
  });
}
