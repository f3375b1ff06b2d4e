// The state of every package a batch asks about, from one dpkg-query (Step.shared).
import { shellJoin } from '../quote.ts';
import type { ProbeOutput, SharedProbe, SharedProbeKind } from './step.ts';

/** `name<TAB>status` lines (`ii ` = installed); unknown names print nothing. */
export const packageStatesCommand = (names: string[]) =>
  `dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\n' ${shellJoin(names)} 2>/dev/null; true`;

const kind: SharedProbeKind = {
  name: 'package states',
  command: packageStatesCommand,
  // The lines of the asking step's packages: what its own dpkg-query would have printed.
  answer: (out: ProbeOutput, keys: string[]) => ({
    exitCode: out.exitCode,
    stdout: out.stdout.split('\n').filter((line) => keys.includes(line.split('\t')[0]!.split(':')[0]!)).map((l) => `${l}\n`).join(''),
  }),
};

export const packageStates = (names: string[]): SharedProbe => ({ kind, keys: names });
