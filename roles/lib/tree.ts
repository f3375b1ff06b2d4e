// Reads a directory of the control node into memory, for roles that ship files built here
// (the app's release, nginx's static files). The hash names the release: same files, same name.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface TreeFile {
  /** Path relative to the tree's root, with `/` separators, e.g. `public/style.css`. */
  path: string;
  content: string;
}

export interface Tree {
  /** Files in a stable order (sorted by path). */
  files: TreeFile[];
  /** Sub-directories relative to the root, parents before children, e.g. `public`. */
  directories: string[];
  /** sha256 over every path and content, hex. */
  sha256: string;
}

/** Reads every regular file under `root` (UTF-8 text; the artifacts shipped this way are text). */
export function readTree(root: string): Tree {
  const files: TreeFile[] = [];
  const directories: string[] = [];
  const walk = (dir: string, rel: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        directories.push(relPath);
        walk(path.join(dir, entry.name), relPath);
      } else if (entry.isFile()) {
        files.push({ path: relPath, content: readFileSync(path.join(dir, entry.name), 'utf8') });
      }
    }
  };
  walk(root, '');
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash('sha256');
  // Length-prefixed so that moving bytes between a path and a content changes the hash.
  for (const f of files) hash.update(`${f.path.length}:${f.path}${Buffer.byteLength(f.content)}:`).update(f.content);
  return { files, directories, sha256: hash.digest('hex') };
}
