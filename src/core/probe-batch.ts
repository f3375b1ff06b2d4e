// Batches the read-only probes of many steps into ONE remote script, so checking a whole role on a
// host costs one SSH round trip. Each probe runs in its own subshell with stdin closed; its output
// is framed by marker lines carrying a per-batch nonce, so probe output cannot forge a frame.
import { randomBytes } from 'node:crypto';
import type { ProbeOutput } from './steps/step.ts';

export interface ProbeBatch {
  script: string;
  parse(stdout: string): ProbeOutput[];
}

export function probeBatch(probes: string[]): ProbeBatch {
  const nonce = randomBytes(8).toString('hex');
  const marker = `__scaleup_${nonce}`;
  const script = probes
    .map((p, i) => (p.trim() ? `( ${p}\n) </dev/null 2>/dev/null\nprintf '\\n${marker} %s %s\\n' ${i} $?` : `printf '\\n${marker} %s 0\\n' ${i}`))
    .join('\n');
  return {
    script,
    parse(stdout) {
      const outputs: ProbeOutput[] = probes.map(() => ({ stdout: '', exitCode: -1 }));
      const re = new RegExp(`\\n${marker} (\\d+) (\\d+)\\n`, 'g');
      // Prefix a newline so a probe's output always starts after a frame boundary.
      const text = '\n' + stdout;
      let m: RegExpExecArray | null;
      let from = 1;
      while ((m = re.exec(text))) {
        const index = Number(m[1]);
        if (outputs[index]) outputs[index] = { stdout: text.slice(from, m.index), exitCode: Number(m[2]) };
        from = m.index + m[0].length;
      }
      return outputs;
    },
  };
}
