// apt packages. The probe is one dpkg-query; apt-get update runs only when something is missing
// and the last successful update is older than `cacheValidSeconds` (or apt cannot find a package).
//
// "Last successful update" is the mtime of /var/lib/apt/periodic/update-success-stamp, which this
// step touches after each `apt-get update` (as APT's own success hook does on Ubuntu; Ansible's
// `cache_valid_time` reads it too). Not the lists' own mtimes: apt gives a downloaded index the
// repository's Last-Modified time, so an index published a day ago looks stale right after an update
// and every install would update again; and a fresh image's lists directory carries its build time.
import { StepError } from '../errors.ts';
import { shellJoin } from '../quote.ts';
import { packageStates, packageStatesCommand } from './package-states.ts';
import type { Change, Step } from './step.ts';

const APT_ENV = 'DEBIAN_FRONTEND=noninteractive';
const UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp';
/** apt-get update, then the stamp that says when it last succeeded (its output goes to stderr). */
const APT_UPDATE = `${APT_ENV} apt-get update -q >&2 && mkdir -p /var/lib/apt/periodic && touch ${UPDATE_STAMP}`;
const APT_INSTALL = `${APT_ENV} apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold`;

function installedSet(stdout: string): Set<string> {
  const installed = new Set<string>();
  for (const line of stdout.split('\n')) {
    const [name, status] = line.split('\t');
    if (name && status?.startsWith('ii')) installed.add(name.split(':')[0]!);
  }
  return installed;
}

/** The packages a change installs or removes. */
interface PackageChange extends Change {
  packages: string[];
}

export function installed(names: string[], options: { cacheValidSeconds?: number; tags?: string[] } = {}): Step<PackageChange> {
  const maxAge = options.cacheValidSeconds ?? 3600;
  return {
    name: `package ${names.join(' ')}`,
    tags: options.tags,
    probe: () => packageStatesCommand(names),
    shared: () => packageStates(names),
    decide: (out) => {
      const have = installedSet(out.stdout);
      const missing = names.filter((n) => !have.has(n));
      return missing.length ? [{ summary: `install ${missing.join(' ')}`, packages: missing }] : [];
    },
    apply: async (remote, changes) => {
      const missing = changes.flatMap((c) => c.packages);
      // One round trip: update only when the stamp is missing or older than maxAge.
      const ensured = await remote.run(
        `if [ -n "$(find ${UPDATE_STAMP} -newermt "-${maxAge} seconds" 2>/dev/null)" ]; then echo fresh; else ${APT_UPDATE}; fi`,
      );
      const updated = !ensured.stdout.includes('fresh');
      let result = await remote.exec(`${APT_INSTALL} ${shellJoin(missing)}`);
      if (result.exitCode !== 0 && /Unable to locate package|has no installation candidate/.test(result.stderr) && !updated) {
        await remote.run(APT_UPDATE);
        result = await remote.exec(`${APT_INSTALL} ${shellJoin(missing)}`);
      }
      if (result.exitCode !== 0) {
        const stderr = result.stderr.trim().split('\n').slice(-5).join('\n');
        throw new StepError(`apt-get install ${missing.join(' ')} failed (exit ${result.exitCode})${stderr ? `:\n${stderr}` : ''}`, { exitCode: result.exitCode, stderr });
      }
    },
  };
}

export function absent(names: string[], options: { tags?: string[] } = {}): Step<PackageChange> {
  return {
    name: `package absent ${names.join(' ')}`,
    tags: options.tags,
    probe: () => packageStatesCommand(names),
    shared: () => packageStates(names),
    decide: (out) => {
      const have = installedSet(out.stdout);
      const present = names.filter((n) => have.has(n));
      return present.length ? [{ summary: `remove ${present.join(' ')}`, packages: present }] : [];
    },
    apply: async (remote, changes) => {
      const present = changes.flatMap((c) => c.packages);
      await remote.run(`${APT_ENV} apt-get remove -y -q ${shellJoin(present)}`);
    },
  };
}
