// Batches the read-only probes of many steps into ONE remote script, so checking a whole role on a
// host costs one SSH round trip. Each probe runs in its own subshell with stdin closed; its output
// is framed by marker lines carrying a per-batch nonce and the probe's index, in order.
import { randomBytes } from 'node:crypto';
import { StepError } from './errors.ts';
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
      const outputs: ProbeOutput[] = [];
      const re = new RegExp(`\\n${marker} (\\d+) (\\d+)\\n`, 'g');
      // Prefix a newline so a probe's output always starts after a frame boundary.
      const text = '\n' + stdout;
      let m: RegExpExecArray | null;
      let from = 1;
      while ((m = re.exec(text))) {
        // The nonce is on the batch's command line, which other users on the host can read in `ps`:
        // a probe whose output they choose (a file name) could print frames of its own. The probes run
        // in order, so a frame out of order, or one too many, is a forgery: the whole answer is refused.
        if (Number(m[1]) !== outputs.length || outputs.length >= probes.length) {
          throw new StepError('the host\'s answer to the checks is out of order (forged frames?): refusing to decide on it');
        }
        outputs.push({ stdout: text.slice(from, m.index), exitCode: Number(m[2]) });
        from = m.index + m[0].length;
      }
      // Frames missing at the end: the script was cut short (exitCode -1, as a probe that never ran).
      while (outputs.length < probes.length) outputs.push({ stdout: '', exitCode: -1 });
      return outputs;
    },
  };
}
