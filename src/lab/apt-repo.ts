// The local apt repository the hosts install from (they have no route to any registry). Built on the
// control machine: apt resolves REPO_PACKAGES against the base rootfs's dpkg status, downloads exactly
// what the base lacks from the machine's own mirror, and dpkg-scanpackages indexes it as a flat repo
// (`deb [trusted=yes] file:/srv/labrepo ./` in every host).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { machineDebianSources } from './apt-sources.ts';
import { output, run } from './exec.ts';
import { removeTree } from './fs-util.ts';
import type { LabPaths } from './paths.ts';
import { REPO_PACKAGES, SUITE, recipeHash, type InitFlavor } from './recipe.ts';
import { baseRootfsKey, type CacheResult } from './rootfs.ts';

export function repoKey(flavor: InitFlavor): string {
  return recipeHash('repo', 1, baseRootfsKey(flavor), REPO_PACKAGES);
}

export function repoDir(paths: LabPaths, flavor: InitFlavor): string {
  return join(paths.cache, 'repo', `${flavor}-${repoKey(flavor)}`);
}

/** Returns the cached repo for `flavor` (resolved against `baseDir`), building it first if missing. */
export async function ensureAptRepo(paths: LabPaths, flavor: InitFlavor, baseDir: string): Promise<CacheResult> {
  const dir = repoDir(paths, flavor);
  if (existsSync(dir)) return { dir, built: false };
  const parent = join(paths.cache, 'repo');
  await mkdir(parent, { recursive: true });
  for (const name of await readdir(parent)) {
    if (name.startsWith(`${flavor}-`)) await removeTree(join(parent, name));
  }
  const tmp = `${dir}.tmp`;
  const work = `${dir}.work`;
  try {
    await mkdir(join(tmp, 'partial'), { recursive: true });
    for (const d of ['lists/partial', 'cache', 'sources.list.d', 'preferences.d']) {
      await mkdir(join(work, d), { recursive: true });
    }
    await writeFile(join(work, 'sources.list.d', 'debian.sources'), await machineDebianSources(SUITE));
    const apt = aptOptions(baseDir, work, tmp);
    await run('apt-get', [...apt, 'update']);
    // Once together (what a whole-stack run installs), then one by one (what a single role installs):
    // a package resolved alone may pick a different alternative than in company.
    await run('apt-get', [...apt, 'install', '--download-only', ...REPO_PACKAGES]);
    for (const pkg of REPO_PACKAGES) await run('apt-get', [...apt, 'install', '--download-only', pkg]);
    await rm(join(tmp, 'partial'), { recursive: true, force: true });
    await rm(join(tmp, 'lock'), { force: true });
    await indexRepo(tmp);
    await rename(tmp, dir);
  } finally {
    await removeTree(tmp);
    await removeTree(work);
  }
  return { dir, built: true };
}

function aptOptions(baseDir: string, work: string, archives: string): string[] {
  const o = (k: string, v: string) => ['-o', `${k}=${v}`];
  return [
    '-q',
    '-y',
    ...o('Dir::State::status', join(baseDir, 'var/lib/dpkg/status')),
    ...o('Dir::State::Lists', join(work, 'lists')),
    ...o('Dir::Cache', join(work, 'cache')),
    ...o('Dir::Cache::archives', archives),
    ...o('Dir::Etc::SourceList', '/dev/null'),
    ...o('Dir::Etc::SourceParts', join(work, 'sources.list.d')),
    ...o('Dir::Etc::Preferences', '/dev/null'),
    ...o('Dir::Etc::PreferencesParts', join(work, 'preferences.d')),
    // The hosts keep Debian's defaults; resolve with them whatever this machine's apt.conf says.
    ...o('APT::Install-Recommends', 'true'),
    ...o('APT::Install-Suggests', 'false'),
    ...o('Acquire::Languages', 'none'),
    ...o('Debug::NoLocking', 'true'),
    ...o('APT::Sandbox::User', 'root'),
  ];
}

/** Writes Packages, Packages.gz and a Release with their SHA256 sums; makes everything world-readable. */
async function indexRepo(dir: string): Promise<void> {
  const packages = await output('dpkg-scanpackages', ['--multiversion', '.'], { cwd: dir });
  await writeFile(join(dir, 'Packages'), packages);
  await writeFile(join(dir, 'Packages.gz'), gzipSync(packages, { level: 9 }));
  const arch = (await output('dpkg', ['--print-architecture'])).trim();
  const sums = await Promise.all(
    ['Packages', 'Packages.gz'].map(async (f) => {
      const data = await readFile(join(dir, f));
      return ` ${createHash('sha256').update(data).digest('hex')} ${data.length} ${f}`;
    }),
  );
  const release = [
    'Origin: scaleup-lab',
    'Label: scaleup-lab',
    'Suite: lab',
    'Codename: lab',
    `Date: ${new Date().toUTCString()}`,
    `Architectures: ${arch} all`,
    'Description: packages the scaleup roles install, for hosts without a network',
    'SHA256:',
    ...sums,
    '',
  ].join('\n');
  await writeFile(join(dir, 'Release'), release);
  await chmod(dir, 0o755);
  for (const f of await readdir(dir)) await chmod(join(dir, f), 0o644);
}
