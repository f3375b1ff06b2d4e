// The nginx role's variables and the checks it makes before connecting.
import path from 'node:path';
import { type Host, type Inventory, vars, z } from 'scaleup';
import { readTree, type Tree } from '../lib/tree.ts';
import { groupHosts, varsFor } from '../lib/vars.ts';
import { sharedVars } from '../shared-vars.ts';

export const nginxVariables = z.object({
  ...sharedVars('app_group', 'app_port', 'app_surge_port', 'nginx_port'),
  nginx_worker_processes: z.union([z.literal('auto'), z.number().int().min(1)]).default('auto')
    .describe('worker_processes: `auto` = one per CPU.'),
  nginx_worker_connections: vars.count(1024, 'worker_connections per worker.'),
  nginx_client_max_body_size: vars.text('10m', 'Largest request body accepted (client_max_body_size), e.g. `10m`.'),
  nginx_keepalive_timeout: vars.count(65, 'Idle keep-alive timeout towards clients (HAProxy), in seconds.', 0),
  nginx_gzip: vars.flag(true, 'Compress text responses (gzip).'),
  nginx_server_name: vars.text('_', 'server_name of the site; `_` matches any Host (clients reach it through the VIP).'),
  nginx_document_root: vars.text('/var/www/scaleup', 'Document root; static files are served from <root>/static at /static/.'),
  nginx_static_expires: vars.text('7d', 'How long browsers may cache /static/ files (nginx `expires`: sets Expires and Cache-Control max-age).'),
  nginx_upstream_keepalive: vars.count(32, 'Idle keep-alive connections to the app kept open per worker (upstream `keepalive`).'),
  nginx_proxy_connect_timeout: vars.count(2, 'Seconds to wait for an app connection before trying the next app host.'),
  nginx_proxy_read_timeout: vars.count(30, 'Seconds to wait for an app response.'),
});

export type NginxVars = z.output<typeof nginxVariables>;
export const nginxDefaults: NginxVars = nginxVariables.parse({});

/** The site's files on the host. */
export const nginxPaths = {
  conf: '/etc/nginx/nginx.conf',
  site: '/etc/nginx/sites-available/scaleup',
  siteLink: '/etc/nginx/sites-enabled/scaleup',
  defaultSite: '/etc/nginx/sites-enabled/default',
  validateSite: '/usr/local/sbin/scaleup-nginx-validate-site',
};

/** The static files nginx serves: the role's files/public/, read on the control node. */
export function readStaticFiles(roleDir: string): Tree {
  return readTree(path.join(roleDir, 'files', 'public'));
}

/** Checks made before connecting: the upstream needs at least one app host. */
export function validateNginx(inventory: Inventory, hosts: Host[], defaults: NginxVars = nginxDefaults): string[] {
  const problems: string[] = [];
  for (const host of hosts) {
    const v = varsFor(defaults, host);
    if (groupHosts(inventory, String(v.app_group)).length === 0) {
      problems.push(`${host.name}: group '${v.app_group}' has no hosts: nginx's upstream would be empty`);
    }
    if (!/^\/[A-Za-z0-9._/-]*$/.test(String(v.nginx_document_root))) {
      problems.push(`${host.name}: nginx_document_root '${v.nginx_document_root}' must be an absolute path without spaces or quotes`);
    }
    // Written as the arguments of an nginx directive: `;` or a brace would end it and start others.
    for (const key of ['nginx_worker_processes', 'nginx_client_max_body_size', 'nginx_server_name', 'nginx_static_expires'] as const) {
      if (/[;{}'"`$#\\]/.test(String(v[key]))) {
        problems.push(`${host.name}: ${key} '${v[key]}' may not contain ; { } quotes $ # or \\ (it is written into an nginx directive)`);
      }
    }
  }
  return [...new Set(problems)];
}
