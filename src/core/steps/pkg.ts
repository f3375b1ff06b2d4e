// apt packages. The probe is one dpkg-query; apt-get update runs only when something is missing
// and the package lists are older than `cacheValidSeconds` (or apt cannot find a package).
import { StepError } from '../errors.ts';
import { shellJoin } from '../quote.ts';
import type { Step } from './step.ts';

const APT_ENV = 'DEBIAN_FRONTEND=noninteractive';
const APT_INSTALL = `${APT_ENV} apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold`;

function installedSet(stdout: string): Set<string> {
  const installed = new Set<string>();
  for (const line of stdout.split('\n')) {
    const [name, status] = line.split('\t');
    if (name && status?.startsWith('ii')) installed.add(name.split(':')[0]!);
  }
  return installed;
}

const probe = (names: string[]) => `dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\n' ${shellJoin(names)} 2>/dev/null; true`;

export function installed(names: string[], options: { cacheValidSeconds?: number; tags?: string[] } = {}): Step {
  const maxAge = options.cacheValidSeconds ?? 3600;
  return {
    name: `package ${names.join(' ')}`,
    tags: options.tags,
    probe: () => probe(names),
    decide: (out) => {
      const have = installedSet(out.stdout);
      const missing = names.filter((n) => !have.has(n));
      return missing.length ? [{ summary: `install ${missing.join(' ')}` }] : [];
    },
    apply: async (remote, changes) => {
      const missing = changes[0]!.summary.replace(/^install /, '').split(' ');
      const stale = await remote.exec(
        `newest=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -newermt "-${maxAge} seconds" 2>/dev/null | head -1); [ -n "$newest" ]`,
      );
      if (stale.exitCode !== 0) await remote.run(`${APT_ENV} apt-get update -q`);
      let result = await remote.exec(`${APT_INSTALL} ${shellJoin(missing)}`);
      if (result.exitCode !== 0 && /Unable to locate package|has no installation candidate/.test(result.stderr) && stale.exitCode === 0) {
        await remote.run(`${APT_ENV} apt-get update -q`);
        result = await remote.exec(`${APT_INSTALL} ${shellJoin(missing)}`);
      }
      if (result.exitCode !== 0) {
        const stderr = result.stderr.trim().split('\n').slice(-5).join('\n');
        throw new StepError(`apt-get install ${missing.join(' ')} failed (exit ${result.exitCode})${stderr ? `:\n${stderr}` : ''}`, { exitCode: result.exitCode, stderr });
      }
    },
  };
}

export function absent(names: string[], options: { tags?: string[] } = {}): Step {
  return {
    name: `package absent ${names.join(' ')}`,
    tags: options.tags,
    probe: () => probe(names),
    decide: (out) => {
      const have = installedSet(out.stdout);
      const present = names.filter((n) => have.has(n));
      return present.length ? [{ summary: `remove ${present.join(' ')}` }] : [];
    },
    apply: async (remote, changes) => {
      const present = changes[0]!.summary.replace(/^remove /, '').split(' ');
      await remote.run(`${APT_ENV} apt-get remove -y -q ${shellJoin(present)}`);
    },
  };
}
