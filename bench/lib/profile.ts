// Reads a V8 CPU profile (`node --cpu-prof`) of the bundled CLI and answers "where did the time go":
// self time per function and per source module. The bundle is one file, so a sample's module is
// found from the `// path/to/module.ts` comment esbuild writes above each module's code.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileItem {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Profiled time (first to last sample). */
  totalMs: number;
  /** Time the main thread waited (on SSH answers, mostly): V8's `(idle)`. */
  idleMs: number;
  functions: ProfileItem[];
  modules: ProfileItem[];
  /**
   * CPU vs waiting before the engine's runPlays first appears on the stack (process start, loading the
   * bundle, reading inventory, secrets and playbook) and after it (connecting, checking, reporting).
   */
  split?: { beforeRunBusyMs: number; beforeRunIdleMs: number; inRunBusyMs: number; inRunIdleMs: number };
}

/** Line number → module path, from esbuild's `// src/core/run.ts` markers in the bundle. */
function moduleMarkers(bundleFile: string): [number, string][] {
  const markers: [number, string][] = [];
  readFileSync(bundleFile, 'utf8').split('\n').forEach((line, i) => {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs|json))$/.exec(line);
    if (m) markers.push([i, m[1]!]);
  });
  return markers;
}

/** A short module name: `src/core/run.ts`, `ssh2`, `node:internal/…`, `(native)`. */
function moduleOf(url: string, line: number, bundleFile: string, markers: [number, string][]): string {
  if (!url) return '(V8/native)';
  const pkg = (p: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1];
  if (!url.endsWith(bundleFile)) return pkg(url) ?? url.replace(/^file:\/\//, '');
  let lo = 0;
  let hi = markers.length - 1;
  let found = '(bundle runtime)';
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (markers[mid]![0] <= line) {
      found = markers[mid]![1];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return pkg(found) ?? found;
}

export function summarizeProfile(profileFile: string, bundleFile: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const markers = moduleMarkers(bundleFile);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    totalUs += us;
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)') idleUs += us;
    const mod = moduleOf(url, lineNumber, bundleFile, markers);
    const fn = `${functionName || '(anonymous)'} — ${mod}${url.endsWith(bundleFile) || !url ? '' : `:${lineNumber + 1}`}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byModule.set(mod, (byModule.get(mod) ?? 0) + us);
  }
  // Where runPlays starts: the first sample with it on the stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const underRun = new Map<number, boolean>();
  const isUnderRun = (id: number): boolean => {
    let known = underRun.get(id);
    if (known === undefined) {
      const p = parent.get(id);
      known = nodes.get(id)!.callFrame.functionName === 'runPlays' || (p !== undefined && isUnderRun(p));
      underRun.set(id, known);
    }
    return known;
  };
  const split = { beforeRunBusyMs: 0, beforeRunIdleMs: 0, inRunBusyMs: 0, inRunIdleMs: 0 };
  let inRun = false;
  profile.samples.forEach((id, i) => {
    inRun ||= isUnderRun(id);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const idle = nodes.get(id)!.callFrame.functionName === '(idle)';
    if (inRun) split[idle ? 'inRunIdleMs' : 'inRunBusyMs'] += ms;
    else split[idle ? 'beforeRunIdleMs' : 'beforeRunBusyMs'] += ms;
  });

  const items = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / totalUs }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, functions: items(byFunction), modules: items(byModule), split };
}
