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
    // The file read with the shell's own read, not grep: a host's every no-op asks this of each parameter.
    // (Not /proc/sys: its files answer a byte-at-a-time read with their first byte only.)
    probe: () => `printf 'live=%s\\n' "$(cat ${quote(procPath)} 2>/dev/null)"; ` +
      `if [ -f ${quote(file)} ]; then while IFS= read -r l || [ -n "$l" ]; do ` +
      `if [ "$l" = ${quote(line)} ]; then echo persisted=1; break; fi; done < ${quote(file)}; fi; true`,
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
