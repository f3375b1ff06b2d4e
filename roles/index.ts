// The roles scaleup ships, by name (static imports, so the bundled CLI carries them). A new shipped
// role is a folder with an index.ts, listed here; a unit test checks this list against the folders.
// They use only scaleup's public API ('scaleup'), like a role in a user's project.
import type { Role } from 'scaleup';

const lazy = (load: () => Promise<{ default: unknown }>) => async () => (await load()).default as Role;

export const roleModules: Record<string, () => Promise<Role>> = {
  app: lazy(() => import('./app/index.ts')),
  baseline: lazy(() => import('./baseline/index.ts')),
  firewall: lazy(() => import('./firewall/index.ts')),
  haproxy: lazy(() => import('./haproxy/index.ts')),
  keepalived: lazy(() => import('./keepalived/index.ts')),
  mysql: lazy(() => import('./mysql/index.ts')),
  nginx: lazy(() => import('./nginx/index.ts')),
};
