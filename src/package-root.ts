// The folder scaleup itself is installed in (its package.json, the roles it ships, its docs): the
// nearest folder above this module with a package.json and a roles/ folder — the same answer from
// the sources and from the bundle in dist/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'roles'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

export const packageRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The version of scaleup (`name` omitted), or of a package installed beside it. */
export const packageVersion = (name = 'scaleup', root = packageRoot): string =>
  (JSON.parse(readFileSync(path.join(root, ...(name === 'scaleup' ? [] : ['node_modules', name]), 'package.json'), 'utf8')) as { version: string }).version;
