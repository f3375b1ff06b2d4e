// A kernel parameter: persisted in a sysctl.d file and applied live.
import { quote } from '../quote.ts';
import { probeFields } from './probe-output.ts';
import { runSafeWrite } from './safe-write.ts';
import type { Change, Step } from './step.ts';

export function value(key: string, wanted: string | number, options: { file?: string; tags?: string[] } = {}): Step {
  const file = options.file ?? '/etc/sysctl.d/99-scaleup.conf';
  const procPath = `/proc/sys/${key.replace(/\./g, '/')}`;
  const line = `${key} = ${wanted}`;
  const keyRe = `^[[:space:]]*${key.replace(/\./g, '\\.')}[[:space:]]*=`;
  return {
    name: `sysctl ${key}`,
    tags: options.tags,
    probe: () => `printf 'live=%s\\n' "$(cat ${quote(procPath)} 2>/dev/null)"; ` +
      `grep -qxF -- ${quote(line)} ${quote(file)} 2>/dev/null && echo persisted=1; true`,
    decide: (out) => {
      const f = probeFields(out.stdout);
      const changes: Change[] = [];
      if ((f.get('live') ?? '').trim().replace(/\s+/g, ' ') !== String(wanted)) changes.push({ summary: `live ${f.get('live') || '?'} → ${wanted}` });
      if (f.get('persisted') !== '1') changes.push({ summary: `persist in ${file}` });
      return changes;
    },
    apply: async (remote) => {
      await runSafeWrite(remote, {
        dest: file, owner: 'keep', mode: 'keep',
        fill: `{ grep -vE -- ${quote(keyRe)} "$live" || true; echo ${quote(line)}; }`,
      });
      await remote.run(`sysctl -q -w ${quote(`${key}=${wanted}`)}`);
    },
  };
}
