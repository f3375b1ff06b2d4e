// The live progress tree on a terminal (listr2): one branch per host, showing the step running
// now and, when the host is done, its counts.
//
// Under each host listr2 keeps the last text it was given (persistentOutput), also once the branch is
// closed: whatever was written last stays on screen. So every way a host can end writes what is true
// then — what changed, "no changes", "not run", or nothing beside the error — and a host that is lost
// or failed (it runs nothing more in this run) is closed when the engine says so, not at the end of the
// run: it never sits under a "connecting…" or a step it is no longer running.
import { Listr, type ListrTaskWrapper } from 'listr2';
// Every text from a run is escaped again here (the engine did already): the last line of defence
// against a host's escape sequences reaching the terminal.
import { safeHostLine as line, safeHostText as text } from '../../core/host-text.ts';
import type { EventSink, HostTotals, RunResult, StepResult } from '../../core/results.ts';

interface HostBranch {
  task?: ListrTaskWrapper<unknown, never, never>;
  finish: (error?: Error) => void;
  done: Promise<void>;
  /** What the host is doing now (kept here too: events can come before listr2 starts the host's task). */
  now: string;
  /** How the host ended, once it has: nothing else is written to its branch after that. */
  ended?: { title: string; output: string };
  changed: string[];
}

function counts(t: HostTotals): string {
  return `ok=${t.ok} changed=${t.changed}${t.failed ? ` failed=${t.failed}` : ''}`;
}

export class ProgressTree {
  #branches = new Map<string, HostBranch>();
  #failedSteps = new Map<string, StepResult>();
  #listr: Listr;
  #running: Promise<unknown>;

  constructor(hosts: string[]) {
    for (const name of hosts) {
      let finish!: (error?: Error) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = (error) => (error ? reject(error) : resolve());
      });
      // A host can end before listr2 starts its task (which awaits this): that is no unhandled rejection.
      done.catch(() => {});
      this.#branches.set(name, { finish, done, now: 'connecting…', changed: [] });
    }
    this.#listr = new Listr(
      hosts.map((name) => ({
        title: name,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          const branch = this.#branches.get(name)!;
          branch.task = task;
          // Events may have come before listr2 started this task: show where the host is, or how it ended.
          if (branch.ended) ProgressTree.#show(task, branch.ended);
          else task.output = branch.now;
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
        if (!b || b.ended) break;
        b.now = line(`${event.role} › ${event.step}`);
        if (b.task) b.task.output = b.now;
        break;
      }
      case 'step': {
        const b = this.#branches.get(event.result.host);
        if (b && event.result.status === 'changed') b.changed.push(line(`${event.result.role} › ${event.result.step}`));
        if (event.result.status === 'failed' && !this.#failedSteps.has(event.result.host)) this.#failedSteps.set(event.result.host, event.result);
        break;
      }
      case 'host-done':
        // Failed or lost, a host runs nothing more in this run: it ends now. Hosts that went well may
        // still be in a later play, and end with the run.
        if (event.totals.failed || event.totals.unreachable) this.#end(event.host, event.totals);
        break;
      default:
        break;
    }
  };

  static #show(task: ListrTaskWrapper<unknown, never, never>, ended: { title: string; output: string }): void {
    task.title = ended.title;
    task.output = ended.output;
  }

  /** Shows how host `name` ended (counts, then what changed, or the error) and closes its branch. */
  #end(name: string, t: HostTotals | undefined): void {
    const b = this.#branches.get(name);
    if (!b || b.ended) return;
    const changed = b.changed.map((c) => `changed ${c}`).join('\n');
    b.ended = t
      // A failed or lost host shows its error beside what it changed before, and nothing else.
      ? { title: `${name}  ${counts(t)}  ${(t.durationMs / 1000).toFixed(2)}s`, output: t.failed || t.unreachable ? changed : changed || 'no changes' }
      // Not reached: the run stopped (Ctrl-C) before a play of this host began.
      : { title: name, output: 'not run' };
    if (b.task) ProgressTree.#show(b.task, b.ended);
    if (!t) b.finish();
    else if (t.unreachable) b.finish(new Error(`unreachable: ${text(t.error ?? '')}`));
    else if (t.failed) {
      const failedStep = this.#failedSteps.get(name);
      b.finish(new Error(failedStep ? text(`${failedStep.role} › ${failedStep.step}: ${failedStep.error ?? ''}`) : text(t.error ?? 'failed')));
    } else b.finish();
  }

  async finish(result: RunResult): Promise<void> {
    for (const step of result.steps) {
      if (step.status === 'failed' && !this.#failedSteps.has(step.host)) this.#failedSteps.set(step.host, step);
    }
    for (const name of this.#branches.keys()) this.#end(name, result.hosts[name]);
    await this.#running;
  }
}
