// The state of every systemd unit a batch asks about, from one `systemctl show` (Step.shared).
import { quote } from '../quote.ts';
import type { ProbeOutput, SharedProbe, SharedProbeKind } from './step.ts';

const PROPERTIES = '-p ActiveState -p UnitFileState';

/** `ActiveState=…` and `UnitFileState=…` of one unit (systemd's cached state, over D-Bus). */
export const unitStateCommand = (unit: string) => `systemctl show ${PROPERTIES} -- ${quote(unit)} 2>/dev/null`;

const kind: SharedProbeKind = {
  name: 'unit states',
  // One block per unit, in the order given, separated by an empty line.
  command: (units) => `systemctl show ${PROPERTIES} -- ${units.map(quote).join(' ')} 2>/dev/null`,
  answer: (out: ProbeOutput, keys: string[], all: string[]) => {
    const blocks = out.stdout.split(/\n\n/);
    // A block missing (systemctl refused one name, and with it all): nothing is known of the unit,
    // as its own probe would have printed nothing.
    if (blocks.length !== all.length) return { exitCode: out.exitCode || 1, stdout: '' };
    const at = all.indexOf(keys[0]!);
    return { exitCode: out.exitCode, stdout: `${blocks[at]!.replace(/\n$/, '')}\n` };
  },
};

export const unitState = (unit: string): SharedProbe => ({ kind, keys: [unit] });
