// An arbitrary command, made idempotent by its guards: `creates` (a path that exists once done) or
// `unless` (a read-only shell test that succeeds once done). Without a guard it runs every time.
import { quote } from '../quote.ts';
import { Secret } from '../secret.ts';
import { probeFields } from './probe-output.ts';
import type { Step } from './step.ts';

export interface CommandOptions {
  /** Step name shown in output, e.g. `create app database`. */
  name: string;
  command: string;
  creates?: string;
  unless?: string;
  /** Fed to the command's stdin (the way to pass a secret: never on a command line). */
  stdin?: string | Secret;
  notify?: string[];
  tags?: string[];
}

export function run(options: CommandOptions): Step {
  return {
    name: options.name,
    notify: options.notify,
    tags: options.tags,
    probe: () => [
      options.creates ? `[ -e ${quote(options.creates)} ] && echo done=1` : '',
      options.unless ? `( ${options.unless} ) >/dev/null 2>&1 </dev/null && echo done=1` : '',
      'true',
    ].filter(Boolean).join('; '),
    decide: (out) => (probeFields(out.stdout).get('done') === '1' ? [] : [{ summary: 'run' }]),
    apply: async (remote) => {
      const stdin = options.stdin instanceof Secret ? options.stdin.reveal() : options.stdin;
      await remote.run(options.command, { stdin });
    },
  };
}
