// A directory made from a compressed tar sent from the control node in ONE stream (the exec's stdin),
// not a step per file: a release of 10,000 files is one round trip. The directory is complete once a
// marker file, written last, is in it; a complete directory is never sent again nor changed (an
// immutable, content-addressed release), an incomplete one (an interrupted run) is replaced whole.
// The archive is unpacked beside the target under a hidden name and renamed into place, so the
// target is never seen half made.
import { StepError } from '../errors.ts';
import { quote } from '../quote.ts';
import { probeFields } from './probe-output.ts';
import { enterDirectory, refuse } from './safe-write.ts';
import type { Step } from './step.ts';

/**
 * Written last into an unpacked directory: its presence means the directory is complete. Named apart
 * from the writes' temp files (`NAME.scaleup-XXXX`), which anyone may sweep after an interrupted run.
 */
export const COMPLETE_MARKER = '.scaleup.complete';

export interface UnpackedOptions {
  /** The directory the archive becomes (its parent must exist). */
  dest: string;
  /** A gzip-compressed tar of the directory's content, members relative to it. */
  archive: Buffer;
  /** Small files written into the directory before it is marked complete: relative path → content. */
  files?: Record<string, string>;
  notify?: string[];
  tags?: string[];
}

/** A relative path inside the directory: no `..`, not absolute, nothing empty. */
function checkedRelative(dest: string, rel: string): string {
  const parts = rel.split('/');
  if (rel.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new StepError(`unpack ${dest}: '${rel}' is not a plain relative path inside it`);
  }
  return rel;
}

/** The shell script that unpacks stdin into `dest` (see the header); exported for tests. */
export function unpackScript(options: Omit<UnpackedOptions, 'archive'>): string {
  const files = Object.entries(options.files ?? {}).map(([rel, content]) =>
    `printf %s ${quote(Buffer.from(content).toString('base64'))} | base64 -d > ./"$tmp"/${quote(checkedRelative(options.dest, rel))}`);
  return [
    'set -e',
    'umask 022',
    `dest=${quote(options.dest)}`,
    'dir=$(dirname -- "$dest"); name=$(basename -- "$dest")',
    ...enterDirectory(),
    `if [ -L "./$name" ]; then ${refuse('$dest is a symbolic link: refusing to unpack over it')}; fi`,
    'tmp=".$name.incoming-$(od -An -N8 -tx1 /dev/urandom | tr -d " \\n")"',
    `trap 'rm -rf -- "./$tmp"' EXIT`,
    'mkdir -m 0700 -- "./$tmp"',
    // Owned by root whoever packed it; readable by all, writable by root only.
    'tar -xzf - -C "./$tmp" --no-same-owner --no-same-permissions --no-overwrite-dir',
    ...files,
    'chown -R -h 0:0 -- "./$tmp"',
    'chmod -R u+rwX,go+rX,go-w -- "./$tmp"',
    `: > ./"$tmp"/${COMPLETE_MARKER}`,
    'if [ -e "./$name" ]; then rm -rf -- "./$name"; fi',
    'mv -T -- "./$tmp" "./$name"',
    'trap - EXIT',
  ].join('\n');
}

/** `dest` holds the archive's content, complete; sent and unpacked only when it does not. */
export function unpacked(options: UnpackedOptions): Step {
  const q = quote(options.dest);
  return {
    name: `unpack ${options.dest}`,
    notify: options.notify,
    tags: options.tags,
    paths: [options.dest],
    probe: () =>
      `if [ -L ${q} ]; then echo state=link; elif [ -f ${q}/${COMPLETE_MARKER} ]; then echo state=complete; ` +
      `elif [ -e ${q} ]; then echo state=partial; else echo state=absent; fi`,
    decide: (out) => {
      const state = probeFields(out.stdout).get('state');
      if (state === 'complete') return [];
      if (state === 'link') throw new StepError(`${options.dest} is a symbolic link: refusing to unpack over it`);
      const size = `${(options.archive.length / 1024 / 1024).toFixed(1)} MiB`;
      return [{ summary: state === 'partial' ? `replace incomplete ${options.dest} (${size} archive)` : `unpack ${size} archive` }];
    },
    apply: async (remote) => {
      await remote.run(unpackScript(options), { stdin: options.archive });
    },
  };
}
