// After a run where hosts failed or were unreachable, their names go to a retry file, one per line,
// and `--limit @FILE` runs just those again (Ansible's .retry files). It lives in the project's
// .scaleup/ folder, named after the playbook; a run with nothing to retry leaves it alone.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../core/results.ts';

/** The hosts of `result` that failed or were unreachable, in the result's order. */
export function hostsToRetry(result: RunResult): string[] {
  return Object.entries(result.hosts).filter(([, t]) => t.failed > 0 || t.unreachable).map(([name]) => name);
}

/** Writes the retry file of `playbook` when some host needs one; returns its path, else undefined. */
export function writeRetryFile(projectRoot: string, playbook: string, result: RunResult): string | undefined {
  const hosts = hostsToRetry(result);
  if (!hosts.length) return undefined;
  const dir = path.join(projectRoot, '.scaleup');
  const file = path.join(dir, `${path.basename(playbook).replace(/\.ya?ml$/, '')}.retry`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${hosts.join('\n')}\n`);
  return file;
}
