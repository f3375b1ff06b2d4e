import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root (where roles/, templates/ and playbooks/ live): the nearest folder above this
 * module with a package.json — the same answer from the sources and from the bundle in dist/.
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'roles'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..');
  }
}

export const projectRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));
