// A small, bounded HTTP load generator for the fault suites: N workers send requests to one lab URL
// (a new TCP connection each, `Connection: close`, so a failover is seen by the very next request)
// until a time limit or a request count is reached, whichever comes first. Every request is kept in a
// timeline (start, duration, status, error) so a test can ask what failed, when, and for how long.
import http from 'node:http';

/** Hard caps, whatever a caller asks: traffic to the lab stays bounded in time and count. */
export const MAX_DURATION_MS = 60_000;
export const MAX_REQUESTS = 50_000;

export interface LoadOptions {
  /** Target, e.g. http://10.77.0.100/ — a lab address or loopback only. */
  url: string;
  /** Workers, each with at most one request in flight. */
  concurrency: number;
  /** Stop starting requests after this long (capped at 60 s). */
  durationMs: number;
  /** Stop after this many requests in all (capped). */
  maxRequests?: number;
  /** A request with no complete answer after this long counts as failed (default 2 s). */
  timeoutMs?: number;
  /** Pause of each worker between two requests (default 20 ms). */
  pauseMs?: number;
}

export interface Sample {
  /** Start, in ms since the load started. */
  at: number;
  /** Duration in ms. */
  ms: number;
  /** HTTP status; 0 when no answer came. */
  status: number;
  /** Why no answer came (ECONNREFUSED, timeout, …). */
  error?: string;
  /** The app host that served it (X-App-Host), when it says. */
  served?: string;
}

export interface Timeline {
  /** performance.now() when the load started: subtract it from a fault's time to compare with `at`. */
  t0: number;
  durationMs: number;
  samples: Sample[];
}

const LAB_OR_LOOPBACK = /^(10\.77\.0\.\d{1,3}|127\.\d+\.\d+\.\d+|localhost)$/;

function once(url: URL, timeoutMs: number): Promise<Omit<Sample, 'at' | 'ms'>> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (s: Omit<Sample, 'at' | 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(s);
    };
    const req = http.request(url, { method: 'GET', agent: false, headers: { Connection: 'close' } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => done({ status: res.statusCode ?? 0, served: res.headers['x-app-host'] as string | undefined }));
      res.on('error', (err) => done({ status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    });
    req.on('error', (err) => done({ status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    const timer = setTimeout(() => {
      done({ status: 0, error: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.end();
  });
}

export interface RunningLoad {
  /** Stops starting requests; `done` resolves once those in flight have ended. */
  stop(): void;
  done: Promise<Timeline>;
  /** Milliseconds since the load started (to mark a fault in the timeline). */
  now(): number;
}

/** Starts the load; it ends by itself after `durationMs` or `maxRequests`, or earlier on stop(). */
export function startLoad(options: LoadOptions): RunningLoad {
  const url = new URL(options.url);
  if (!LAB_OR_LOOPBACK.test(url.hostname)) throw new Error(`load: ${url.hostname} is not a lab address or loopback`);
  const durationMs = Math.min(options.durationMs, MAX_DURATION_MS);
  const maxRequests = Math.min(options.maxRequests ?? MAX_REQUESTS, MAX_REQUESTS);
  const timeoutMs = options.timeoutMs ?? 2000;
  const pauseMs = options.pauseMs ?? 20;
  const concurrency = Math.max(1, Math.min(options.concurrency, 64));
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const samples: Sample[] = [];
  let started = 0;
  let stopped = false;

  const worker = async () => {
    while (!stopped && now() < durationMs && started < maxRequests) {
      started++;
      const at = now();
      const result = await once(url, timeoutMs);
      samples.push({ at, ms: now() - at, ...result });
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => ({
    t0,
    durationMs: now(),
    samples: samples.sort((a, b) => a.at - b.at),
  }));
  return { stop: () => void (stopped = true), done, now };
}

/** Runs the load while `during` runs (and at least `minMs`), then stops it and returns the timeline. */
export async function underLoad<T>(options: LoadOptions & { minMs?: number }, during: (load: RunningLoad) => Promise<T>): Promise<{ timeline: Timeline; value: T }> {
  const load = startLoad(options);
  try {
    const value = await during(load);
    const rest = (options.minMs ?? 0) - load.now();
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    load.stop();
    return { timeline: await load.done, value };
  } catch (err) {
    load.stop();
    await load.done;
    throw err;
  }
}

export const failed = (s: Sample) => s.status !== 200;

export interface FaultFigures {
  /** Requests in the whole window, and how many failed. */
  total: number;
  failed: number;
  /** failed / total, in percent. */
  lostPercent: number;
  /** Requests that started at or after the fault. */
  afterFault: number;
  /** Seconds from the fault until the VIP answered a new request again (0 when nothing failed). */
  recoverySeconds: number;
  /** Seconds from the fault to the start of the first and of the last failed request (none failed: undefined). */
  firstFailureSeconds?: number;
  lastFailureSeconds?: number;
  /** Seconds from the first failure until the VIP answered again: how long requests were refused/lost. */
  outageSeconds: number;
  /** Requests that failed more than `settleMs` after the fault: must be none once switched. */
  failedAfterSwitch: number;
  /** Distinct errors seen, with counts. */
  errors: Record<string, number>;
}

export interface Window {
  /** When the fault was injected (ms on the load's clock). */
  faultAt: number;
  /** Only requests started in [from, until) count (default: the whole timeline). */
  from?: number;
  until?: number;
  /** A request that fails later than this after the fault counts as "failed after the switch". */
  settleMs?: number;
}

/**
 * What a fault cost over a window of the timeline: the failures, when the VIP answered again (the
 * first success among requests started after the last failure started), and whether anything
 * failed once the switch should have been over (`settleMs` after the fault).
 */
export function figures(timeline: Timeline, w: Window): FaultFigures {
  const { faultAt, from = 0, until = Infinity, settleMs = Infinity } = w;
  const window = timeline.samples.filter((s) => s.at >= from && s.at < until);
  const bad = window.filter(failed);
  const afterFault = window.filter((s) => s.at >= faultAt);
  const badAfter = bad.filter((s) => s.at >= faultAt);
  const firstBad = badAfter[0];
  const lastBad = badAfter.at(-1);
  let recoverySeconds = 0;
  let outageSeconds = 0;
  if (firstBad && lastBad) {
    const firstGood = afterFault.find((s) => s.at > lastBad.at && !failed(s));
    const answered = firstGood ? firstGood.at + firstGood.ms : timeline.durationMs;
    recoverySeconds = (answered - faultAt) / 1000;
    outageSeconds = (answered - firstBad.at) / 1000;
  }
  const errors: Record<string, number> = {};
  for (const s of bad) {
    const key = s.error ?? `HTTP ${s.status}`;
    errors[key] = (errors[key] ?? 0) + 1;
  }
  return {
    total: window.length,
    failed: bad.length,
    lostPercent: window.length ? (bad.length * 100) / window.length : 0,
    afterFault: afterFault.length,
    recoverySeconds,
    firstFailureSeconds: firstBad ? (firstBad.at - faultAt) / 1000 : undefined,
    lastFailureSeconds: lastBad ? (lastBad.at - faultAt) / 1000 : undefined,
    outageSeconds,
    failedAfterSwitch: bad.filter((s) => s.at > faultAt + settleMs).length,
    errors,
  };
}

/** One line for the test log and docs/reliability.md. */
export function describeFigures(name: string, f: FaultFigures): string {
  const errs = Object.entries(f.errors).map(([k, v]) => `${k}×${v}`).join(', ');
  const when = f.firstFailureSeconds === undefined
    ? 'no request failed'
    : `requests failed from +${f.firstFailureSeconds.toFixed(2)} s to +${f.lastFailureSeconds!.toFixed(2)} s, ` +
      `VIP answering again at +${f.recoverySeconds.toFixed(2)} s (outage ${f.outageSeconds.toFixed(2)} s)`;
  return `${name}: ${when}; ${f.failed}/${f.total} requests failed (${f.lostPercent.toFixed(2)}%)${errs ? ` [${errs}]` : ''}; ` +
    `failed after the switch: ${f.failedAfterSwitch}`;
}
