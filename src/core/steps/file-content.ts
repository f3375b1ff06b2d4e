// A file with exact content, owner, group and mode: the shared engine of `template` and `content`.
// Write path: render → compare sha256 on the host → upload to a temp file beside the target →
// validate the temp file (`%s`) → atomic rename. A file that fails validation never goes live.
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { StepError, ValidationError } from '../errors.ts';
import { quote } from '../quote.ts';
import type { Change, Remote, Step, StepContext } from './step.ts';
import { normMode, probeFields } from './probe-output.ts';

export interface FileContentOptions {
  dest: string;
  owner?: string;
  group?: string;
  mode?: string;
  /** Command run on the staged file before it replaces dest; `%s` is the staged path. */
  validate?: string;
  /** Keep the previous version as `dest.<timestamp>~` when replacing it. */
  backup?: boolean;
  notify?: string[];
  tags?: string[];
}

/** Exit code the write script uses for "validation refused the staged file". */
const VALIDATION_FAILED = 97;
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
  return {
    name: `${kind} ${options.dest}`,
    notify: options.notify,
    tags: options.tags,
    paths: [options.dest],
    probe: (ctx) =>
      `if [ -f ${q} ]; then echo exists=1; stat --printf 'owner=%U\\ngroup=%G\\nmode=%a\\n' ${q}; ` +
      // `sha256=<hex>  -`: the parser takes the first word (no `cut`, one process less per file).
      `printf 'sha256='; sha256sum < ${q}; ` +
      (ctx.diff ? `[ "$(stat -c %s ${q})" -le ${MAX_DIFF_BYTES} ] && printf 'b64=%s\\n' "$(base64 -w0 < ${q})"; ` : '') +
      `elif [ -e ${q} ]; then echo exists=other; else echo exists=0; fi`,
    decide: (out, ctx) => {
      const f = probeFields(out.stdout);
      if (f.get('exists') === 'other') return [{ summary: `replace non-file at ${options.dest}` }];
      const wanted = content(ctx);
      if (f.get('exists') !== '1') {
        return [{ summary: 'create', diff: ctx.diff ? unifiedDiff(options.dest, '', wanted) : undefined }];
      }
      const changes: Change[] = [];
      if (f.get('sha256')?.split(' ')[0] !== sha256(wanted)) {
        const before = f.has('b64') ? Buffer.from(f.get('b64')!, 'base64').toString('utf8') : undefined;
        changes.push({ summary: 'content', diff: ctx.diff && before !== undefined ? unifiedDiff(options.dest, before, wanted) : undefined });
      }
      if (f.get('owner') !== owner || f.get('group') !== group) changes.push({ summary: `owner ${f.get('owner')}:${f.get('group')} → ${owner}:${group}` });
      if (normMode(f.get('mode') ?? '') !== mode) changes.push({ summary: `mode ${normMode(f.get('mode') ?? '')} → ${mode}` });
      return changes;
    },
    apply: async (remote, changes, ctx) => {
      const writeContent = changes.some((c) => c.summary === 'create' || c.summary === 'content' || c.summary.startsWith('replace'));
      if (!writeContent) {
        await remote.run(`chown ${quote(`${owner}:${group}`)} ${q} && chmod ${mode} ${q}`);
        return;
      }
      await writeFileAtomically(remote, options, owner, group, mode, content(ctx));
    },
  };
}

async function writeFileAtomically(
  remote: Remote, options: FileContentOptions, owner: string, group: string, mode: string, content: string | Buffer,
): Promise<void> {
  const dir = path.posix.dirname(options.dest);
  const tmp = path.posix.join(dir, `.${path.posix.basename(options.dest)}.scaleup-${randomBytes(4).toString('hex')}`);
  const qt = quote(tmp);
  const qd = quote(options.dest);
  const validate = options.validate ? options.validate.split('%s').join(qt) : undefined;
  const script = [
    'set -e',
    // The trap's text is parsed again when it fires: quote it whole, with the quoted path inside.
    `trap ${quote(`rm -f ${qt}`)} EXIT`,
    `[ -d ${quote(dir)} ] || { echo ${quote(`directory ${dir} does not exist`)} >&2; exit 1; }`,
    `cat > ${qt}`,
    `chown ${quote(`${owner}:${group}`)} ${qt}`,
    `chmod ${mode} ${qt}`,
    validate ? `if ! ( ${validate} ) >&2; then exit ${VALIDATION_FAILED}; fi` : '',
    options.backup ? `[ -f ${qd} ] && cp -p ${qd} ${quote(options.dest)}.$(date +%Y%m%d%H%M%S)~ || true` : '',
    `mv -f ${qt} ${qd}`,
    'trap - EXIT',
  ].filter(Boolean).join('\n');
  const result = await remote.exec(script, { stdin: content });
  if (result.exitCode === VALIDATION_FAILED) {
    throw new ValidationError(`validation failed (${options.validate}); ${options.dest} left untouched`, {
      command: options.validate, exitCode: result.exitCode, stderr: result.stderr.trim(),
    });
  }
  if (result.exitCode !== 0) {
    throw new StepError(`writing ${options.dest} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`, {
      exitCode: result.exitCode, stderr: result.stderr.trim(),
    });
  }
}

export function unifiedDiff(file: string, before: string, after: string | Buffer): string {
  const text = typeof after === 'string' ? after : after.toString('utf8');
  return createTwoFilesPatch(file, file, before, text, 'on host', 'wanted', { context: 3 });
}
