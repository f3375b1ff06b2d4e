// A kernel parameter: persisted in a sysctl.d file and applied live.
import { quote } from '../quote.ts';
import { probeFields } from './probe-output.ts';
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
      const qf = quote(file);
      await remote.run(
        `touch ${qf} && { grep -vE -- ${quote(keyRe)} ${qf}; echo ${quote(line)}; } > ${qf}.scaleup-tmp && mv -f ${qf}.scaleup-tmp ${qf} && ` +
        `sysctl -q -w ${quote(`${key}=${wanted}`)}`,
      );
    },
  };
}
