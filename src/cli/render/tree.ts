// The live progress tree on a terminal (listr2): one branch per host, showing the step running
// now and, when the host is done, its counts.
import { Listr, type ListrTaskWrapper } from 'listr2';
// Every text from a run is escaped again here (the engine did already): the last line of defence
// against a host's escape sequences reaching the terminal.
import { safeHostLine as line, safeHostText as text } from '../../core/host-text.ts';
import type { EventSink, HostTotals, RunResult } from '../../core/results.ts';

interface HostBranch {
  task?: ListrTaskWrapper<unknown, never, never>;
  finish: (error?: Error) => void;
  done: Promise<void>;
  changed: string[];
}

function counts(t: HostTotals): string {
  return `ok=${t.ok} changed=${t.changed}${t.failed ? ` failed=${t.failed}` : ''}`;
}

export class ProgressTree {
  #branches = new Map<string, HostBranch>();
  #listr: Listr;
  #running: Promise<unknown>;

  constructor(hosts: string[]) {
    for (const name of hosts) {
      let finish!: (error?: Error) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = (error) => (error ? reject(error) : resolve());
      });
      this.#branches.set(name, { finish, done, changed: [] });
    }
    this.#listr = new Listr(
      hosts.map((name) => ({
        title: name,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          const branch = this.#branches.get(name)!;
          branch.task = task;
          task.output = 'connecting…';
          await branch.done;
        },
        // Keep the last output (what changed) under the host once it is done.
        rendererOptions: { persistentOutput: true } as never,
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseErrors: false } as never },
    );
    this.#running = this.#listr.run().catch(() => {});
  }

  readonly sink: EventSink = (event) => {
    switch (event.type) {
      case 'step-start': {
        const b = this.#branches.get(event.host);
        if (b?.task) b.task.output = line(`${event.role} › ${event.step}`);
        break;
      }
      case 'step': {
        const b = this.#branches.get(event.result.host);
        if (b && event.result.status === 'changed') b.changed.push(line(`${event.result.role} › ${event.result.step}`));
        break;
      }
      default:
        break;
    }
  };

  async finish(result: RunResult): Promise<void> {
    for (const [name, b] of this.#branches) {
      const t = result.hosts[name];
      if (!t) {
        b.finish();
        continue;
      }
      if (b.task) b.task.title = `${name}  ${counts(t)}  ${(t.durationMs / 1000).toFixed(2)}s`;
      if (t.unreachable) b.finish(new Error(`unreachable: ${text(t.error ?? '')}`));
      else if (t.failed) {
        const failedStep = result.steps.find((s) => s.host === name && s.status === 'failed');
        b.finish(new Error(failedStep ? text(`${failedStep.role} › ${failedStep.step}: ${failedStep.error ?? ''}`) : 'failed'));
      } else {
        if (b.task) b.task.output = b.changed.length ? b.changed.map((c) => `changed ${c}`).join('\n') : 'no changes';
        b.finish();
      }
    }
    await this.#running;
  }
}
