// A file with exact content, owner, group and mode: the shared engine of `template` and `content`.
// Write path: render → compare sha256 on the host → stage beside the target (safe-write.ts: never
// through a link, root-only until it has its owner and mode) → validate the staged file (`%s`) →
// atomic rename. A file that fails validation never goes live.
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { StepError } from '../errors.ts';
import { quote } from '../quote.ts';
import type { Change, Step, StepContext } from './step.ts';
import { linkTarget, linkTargetProbe, normMode, probeFields } from './probe-output.ts';
import { fileState } from './path-states.ts';
import { runSafeWrite } from './safe-write.ts';

export interface FileContentOptions {
  dest: string;
  owner?: string;
  group?: string;
  mode?: string;
  /** Command run on the staged file before it replaces dest; `%s` is the staged path. */
  validate?: string;
  /**
   * The file holds secrets: --diff never shows its content (removed lines included, which may hold a
   * secret the run no longer knows), and it is staged with its final mode from the first byte.
   */
  secret?: boolean;
  /** Write through a symbolic link at dest to its target; without it a link at dest is refused. */
  follow?: boolean;
  /** Keep the previous version as `dest.<timestamp>~` when replacing it. */
  backup?: boolean;
  notify?: string[];
  tags?: string[];
}

/** Files larger than this are not shown in --diff. */
const MAX_DIFF_BYTES = 256 * 1024;

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function fileContentStep(
  kind: string,
  options: FileContentOptions,
  content: (ctx: StepContext) => string | Buffer,
): Step {
  const owner = options.owner ?? 'root';
  const group = options.group ?? 'root';
  const mode = normMode(options.mode ?? '0644');
  const q = quote(options.dest);
  const validate = options.validate ?? (isSudoers(options.dest) ? 'visudo -c -q -f %s' : undefined);
  return {
    name: `${kind} ${options.dest}`,
    notify: options.notify,
    tags: options.tags,
    paths: [options.dest],
    probe: (ctx) => {
      const regular = `echo exists=1; stat --printf 'owner=%U\\ngroup=%G\\nmode=%a\\n' ${q}; ` +
        // `sha256=<hex>  -`: the parser takes the first word (no `cut`, one process less per file).
        `printf 'sha256='; sha256sum < ${q}; ` +
        (ctx.diff && !options.secret ? `[ "$(stat -c %s ${q})" -le ${MAX_DIFF_BYTES} ] && printf 'b64=%s\\n' "$(base64 -w0 < ${q})"; ` : '');
      const branches = [
        // A link is reported as one (and refused by decide) before `-f`, which would look through it.
        ...(options.follow ? [] : [`[ -L ${q} ]; then echo exists=link; ${linkTargetProbe(q)}`]),
        `[ -f ${q} ]; then ${regular}true`,
        `[ -e ${q} ]; then echo exists=other`,
      ];
      return `if ${branches.join('; elif ')}; else echo exists=0; fi`;
    },
    // With --diff the probe also prints the content; through a link it reads the target: its own probe then.
    shared: (ctx) => (options.follow || (ctx.diff && !options.secret) ? undefined : fileState(options.dest)),
    decide: (out, ctx) => {
      const f = probeFields(out.stdout);
      if (f.get('exists') === 'link') throw symlinkRefused(options.dest, linkTarget(f) ?? '?');
      if (f.get('exists') === 'other') return [{ summary: `replace non-file at ${options.dest}` }];
      const wanted = content(ctx);
      const diffOf = (before: string) => (options.secret ? secretFileDiff(options.dest) : unifiedDiff(options.dest, before, wanted));
      if (f.get('exists') !== '1') {
        return [{ summary: 'create', diff: ctx.diff ? diffOf('') : undefined }];
      }
      const changes: Change[] = [];
      if (f.get('sha256')?.split(' ')[0] !== sha256(wanted)) {
        const before = f.has('b64') ? Buffer.from(f.get('b64')!, 'base64').toString('utf8') : undefined;
        changes.push({ summary: 'content', diff: ctx.diff && (options.secret || before !== undefined) ? diffOf(before ?? '') : undefined });
      }
      if (f.get('owner') !== owner || f.get('group') !== group) changes.push({ summary: `owner ${f.get('owner')}:${f.get('group')} → ${owner}:${group}` });
      if (normMode(f.get('mode') ?? '') !== mode) changes.push({ summary: `mode ${normMode(f.get('mode') ?? '')} → ${mode}` });
      return changes;
    },
    // An owner or mode change rewrites the file too: a chown by name would follow a link renamed
    // over the file since the probe, and give the file it points to away.
    apply: (remote, _changes, ctx) => runSafeWrite(remote, {
      dest: options.dest, owner: { user: owner, group }, mode, validate, backup: options.backup, follow: options.follow,
    }, content(ctx)),
  };
}

/** A sudoers file that does not parse locks everyone out of sudo: every one is checked by visudo. */
function isSudoers(dest: string): boolean {
  return dest === '/etc/sudoers' || dest.startsWith('/etc/sudoers.d/');
}

/** A target that is a symbolic link is never written through unless the step says so (`follow`). */
export function symlinkRefused(dest: string, target: string): StepError {
  return new StepError(`${dest} is a symbolic link (to ${target}): refusing to write through it (a step may set follow: true)`);
}

/** What --diff shows for a file that holds secrets: that it changed, never a line of it. */
export function secretFileDiff(file: string): string {
  return `--- ${file}\n+++ ${file}\n(content not shown: this file holds secrets)\n`;
}

export function unifiedDiff(file: string, before: string, after: string | Buffer): string {
  const text = typeof after === 'string' ? after : after.toString('utf8');
  return createTwoFilesPatch(file, file, before, text, 'on host', 'wanted', { context: 3 });
}
