// Shared fixture of the wizard tests: the answers to its create questions for a five-host site on
// 10.0.0.0/24 (lb-01, lb-02, web-01, app-01, db-01), as inventoryDocument takes them.
import type { NewHost, NewInventory } from '../../src/cli/wizard/write-inventory.ts';

const SITE_HOSTS: NewHost[] = [
  { tier: 'lb', name: 'lb-01', address: '10.0.0.11' },
  { tier: 'lb', name: 'lb-02', address: '10.0.0.12' },
  { tier: 'web', name: 'web-01', address: '10.0.0.21' },
  { tier: 'app', name: 'app-01', address: '10.0.0.31' },
  { tier: 'db', name: 'db-01', address: '10.0.0.41' },
];

/**
 * The site's answers: user deploy with sudo on port 22, no private key (the ssh-agent), known_hosts and
 * site.secrets.age beside the inventory, VIP 10.0.0.100, app port 3000, database `app`. `changes`
 * replaces fields; each of `extraHosts` joins the end of its tier.
 */
export function siteAnswers(changes: Partial<NewInventory> = {}, extraHosts: NewHost[] = []): NewInventory {
  const hosts = [...SITE_HOSTS];
  for (const extra of extraHosts) {
    const after = hosts.map((h) => h.tier).lastIndexOf(extra.tier);
    hosts.splice(after < 0 ? hosts.length : after + 1, 0, extra);
  }
  return {
    hosts,
    user: 'deploy',
    port: 22,
    become: true,
    knownHosts: 'known_hosts',
    secretsFile: 'site.secrets.age',
    vip: '10.0.0.100',
    appPort: 3000,
    database: 'app',
    ...changes,
  };
}
