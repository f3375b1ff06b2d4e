// Batches the read-only probes of many steps into ONE remote script, so checking a whole role on a
// host costs one SSH round trip. Each probe runs in its own subshell with stdin closed; its output
// is framed by marker lines carrying a per-batch nonce and the probe's index, in order.
//
// Steps that ask a shared question (Step.shared: a package's state, a unit's, a path's) are answered
// from one command per kind, run first, so a batch starts one dpkg-query for all its packages rather
// than one per step: on a small host each process started costs milliseconds of its CPU.
import { randomBytes } from 'node:crypto';
import { StepError } from './errors.ts';
import type { ProbeOutput, SharedProbe } from './steps/step.ts';

export interface ProbeBatch {
  script: string;
  parse(stdout: string): ProbeOutput[];
}

/** A step's probe in a batch: its own snippet, and the shared question that may stand for it. */
export interface BatchedProbe {
  probe: string;
  shared?: SharedProbe;
}

/** The commands of a batch: one per shared kind (with every key asked), then each unshared probe. */
interface BatchPlan {
  commands: string[];
  /** For each probe: the command that answers it, and how (its own output, or a shared answer). */
  answers: ((outputs: ProbeOutput[]) => ProbeOutput)[];
}

function planBatch(probes: (string | BatchedProbe)[]): BatchPlan {
  const items = probes.map((p) => (typeof p === 'string' ? { probe: p } : p));
  const kinds = new Map<string, { shared: SharedProbe; keys: string[]; at: number }>();
  for (const { shared } of items) {
    if (!shared) continue;
    let k = kinds.get(shared.kind.name);
    if (!k) kinds.set(shared.kind.name, (k = { shared, keys: [], at: kinds.size }));
    for (const key of shared.keys) if (!k.keys.includes(key)) k.keys.push(key);
  }
  const commands = [...kinds.values()].map((k) => k.shared.kind.command(k.keys));
  const answers = items.map(({ probe, shared }) => {
    if (shared) {
      const k = kinds.get(shared.kind.name)!;
      return (outputs: ProbeOutput[]) => shared.kind.answer(outputs[k.at]!, shared.keys, k.keys);
    }
    const at = commands.push(probe) - 1;
    return (outputs: ProbeOutput[]) => outputs[at]!;
  });
  return { commands, answers };
}

export function probeBatch(probes: (string | BatchedProbe)[]): ProbeBatch {
  const nonce = randomBytes(8).toString('hex');
  const marker = `__scaleup_${nonce}`;
  const { commands, answers } = planBatch(probes);
  const script = commands
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
        if (Number(m[1]) !== outputs.length || outputs.length >= commands.length) {
          throw new StepError('the host\'s answer to the checks is out of order (forged frames?): refusing to decide on it');
        }
        outputs.push({ stdout: text.slice(from, m.index), exitCode: Number(m[2]) });
        from = m.index + m[0].length;
      }
      // Frames missing at the end: the script was cut short (exitCode -1, as a probe that never ran).
      while (outputs.length < commands.length) outputs.push({ stdout: '', exitCode: -1 });
      return answers.map((answer) => answer(outputs));
    },
  };
}
