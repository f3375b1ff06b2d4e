// The app's release, made on the control node before any host is contacted: a clean copy of the
// app's folder, the build command run in it, what it leaves packed into one compressed tar. The
// release's id is a hash of the packed content: the same files always make the same id, so a host
// that has the release already is sent nothing.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { StepError } from 'scaleup';

/** Where a release came from: written into the release folder on each host as release.json. */
export interface Provenance {
  /** The app's folder on the control node, absolute. */
  source: string;
  /** `git rev-parse HEAD` when the folder is in a git work tree. */
  commit?: string;
  /** True when that work tree had uncommitted changes under the folder. */
  dirty?: boolean;
  /** The build command, when there is one. */
  build?: string;
  /** `user@hostname` of the control node. */
  by: string;
  /** When it was built (ISO 8601, UTC). */
  builtAt: string;
}

export interface Release {
  /** First 12 hex digits of the sha256 of the packed content: the release folder's name. */
  id: string;
  /** The release as a gzip-compressed tar, members relative to the release folder. */
  archive: Buffer;
  provenance: Provenance;
}

/** Lines of the build's output quoted in its error. */
const OUTPUT_TAIL_LINES = 20;

/**
 * GNU tar flags that make the archive a function of the files alone: names sorted, times, owners and
 * modes normalised (executable bits kept), no directory's own timestamps.
 */
export const DETERMINISTIC_TAR = [
  '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner',
  '--mode=u+rwX,go+rX,go-w', '--format=gnu',
];

/** Packs `dir` into a tar (deterministic) and returns it with its content id. */
export function packRelease(dir: string): { id: string; archive: Buffer } {
  const tar = spawnSync('tar', [...DETERMINISTIC_TAR, '-cf', '-', '-C', dir, '.'], { maxBuffer: 4 * 1024 ** 3 });
  if (tar.error) throw new StepError(`app: cannot run tar on the control node: ${tar.error.message}`, { role: 'app', step: 'pack' });
  if (tar.status !== 0) {
    throw new StepError(`app: packing ${dir} failed: ${tar.stderr.toString().trim()}`, { role: 'app', step: 'pack', exitCode: tar.status, stderr: tar.stderr.toString() });
  }
  const id = createHash('sha256').update(tar.stdout).digest('hex').slice(0, 12);
  return { id, archive: gzipSync(tar.stdout, { level: 6 }) };
}

/** The last lines of a command's output, for an error message. */
export function outputTail(output: string, lines = OUTPUT_TAIL_LINES): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

function runBuild(command: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => resolve({ code: null, output: err.message }));
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** The git commit of `dir` and whether it has uncommitted changes; {} outside a git work tree. */
export function gitState(dir: string): { commit?: string; dirty?: boolean } {
  const head = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  if (head.error || head.status !== 0) return {};
  const status = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--', '.'], { encoding: 'utf8' });
  return { commit: head.stdout.trim(), dirty: status.status === 0 && status.stdout.trim() !== '' };
}

/** `user@hostname` of the control node: who built, deployed or rolled back. */
export function controlNodeUser(): string {
  return `${userInfo().username}@${hostname()}`;
}

/**
 * Builds the release of the app in `source`: copies it (without `.git`) to a temporary folder, runs
 * `build` there with `sh -c`, replaces each of `links` (relative path → target: the shared folders)
 * by a symbolic link, packs what is left. A failing build throws StepError with the tail of its
 * output; the copy is removed whatever happens.
 */
export async function buildRelease(source: string, build: string, links: Record<string, string> = {}): Promise<Release> {
  if (!existsSync(source) || !statSync(source).isDirectory()) {
    throw new StepError(`app: app_source ${source} is not a folder on the control node`, { role: 'app', step: 'build' });
  }
  const work = mkdtempSync(path.join(tmpdir(), 'scaleup-release-'));
  const copy = path.join(work, 'app');
  try {
    cpSync(source, copy, { recursive: true, verbatimSymlinks: true, filter: (from) => path.basename(from) !== '.git' });
    if (build.trim()) {
      const { code, output } = await runBuild(build, copy);
      if (code !== 0) {
        const tail = outputTail(output);
        throw new StepError(
          `app: the build (app_build: ${build}) failed with exit ${code ?? 'signal'} in a copy of ${source}; no host was contacted` +
            (tail ? `. Its last lines:\n${tail}` : ''),
          { role: 'app', step: 'build', command: build, exitCode: code, stderr: tail },
        );
      }
    }
    for (const [rel, target] of Object.entries(links)) {
      const at = path.join(copy, rel);
      rmSync(at, { recursive: true, force: true });
      mkdirSync(path.dirname(at), { recursive: true });
      symlinkSync(target, at);
    }
    const { id, archive } = packRelease(copy);
    const provenance: Provenance = {
      source, ...gitState(source), ...(build.trim() ? { build } : {}), by: controlNodeUser(), builtAt: new Date().toISOString(),
    };
    return { id, archive, provenance };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
