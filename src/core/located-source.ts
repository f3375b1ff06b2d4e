// Where a value of an inventory was written. One inventory can span several files (the inventory
// itself, group_vars/ and host_vars/ beside it), written as YAML or as INI: the loader works with paths
// and asks this interface to turn a path into file:line:column, whichever file holds it.
import type { InventoryError, SourceLocation } from './errors.ts';
import type { Path } from './yaml-source.ts';

/** A parsed file (or several) plus the means to point back into it; YamlSource is one. */
export interface LocatedSource {
  /** The file as messages show it. */
  readonly display: string;
  /** Whether `path` names something written in the file. */
  has(path: Path): boolean;
  /** Where `path` is: its value (default) or its key; a missing path points at its nearest ancestor. */
  locate(path: Path, at?: 'key' | 'value'): SourceLocation;
  /** An InventoryError at `path`. */
  error(path: Path, reason: string, at?: 'key' | 'value'): InventoryError;
}

/** Marks the first segment of a path that leads into another file; no inventory key can hold a NUL. */
const MOUNT_MARK = '\u0000';

/**
 * The inventory file plus other files mounted beside it: a path that starts with a mount's prefix is
 * located in that file (its field then reads as written there, e.g. `ansible_user`), any other path in
 * the inventory file.
 */
export class LayeredSource implements LocatedSource {
  readonly #mounts = new Map<string, LocatedSource>();

  constructor(readonly root: LocatedSource) {}

  get display(): string {
    return this.root.display;
  }

  /** Mounts `source` and returns the prefix of its paths. */
  mount(name: string, source: LocatedSource): Path {
    const key = `${MOUNT_MARK}${name}`;
    this.#mounts.set(key, source);
    return [key];
  }

  #route(p: Path): [LocatedSource, Path] {
    const head = p[0];
    if (typeof head === 'string' && head.startsWith(MOUNT_MARK)) {
      const mounted = this.#mounts.get(head);
      if (mounted) return [mounted, p.slice(1)];
    }
    return [this.root, p];
  }

  has(p: Path): boolean {
    const [s, rest] = this.#route(p);
    return s.has(rest);
  }

  locate(p: Path, at?: 'key' | 'value'): SourceLocation {
    const [s, rest] = this.#route(p);
    return s.locate(rest, at);
  }

  error(p: Path, reason: string, at?: 'key' | 'value'): InventoryError {
    const [s, rest] = this.#route(p);
    return s.error(rest, reason, at);
  }
}
