// What releases of the app an app host holds (`provision releases`): each release folder, whether it
// is complete, which one `current` names, where each came from (its .scaleup.release.json) and the
// release log. Read-only. Everything here comes from the host: sizes are bounded on the host, each
// field is parsed defensively (an id must look like one, JSON must parse, only known fields of the
// expected type are kept), and the text is made safe to print by the caller.
import type { Connection } from '../core/connection/connection.ts';
import { ScaleupError } from '../core/errors.ts';
import type { Host } from '../core/model.ts';
import { quote } from '../core/quote.ts';
import { appPaths } from '../../roles/app/vars.ts';

const RELEASE_ID = /^[0-9a-f]{12}$/;
/** Bytes read of one release's provenance file, and lines of the release log. */
const MAX_PROVENANCE_BYTES = 4096;
const LOG_LINES = 50;

export interface HostRelease {
  id: string;
  current: boolean;
  /** The release folder has its completion marker. */
  complete: boolean;
  /** When the folder was made on the host (ISO 8601), from its mtime. */
  madeAt?: string;
  source?: string;
  commit?: string;
  dirty?: boolean;
  build?: string;
  by?: string;
  builtAt?: string;
}

export interface ReleaseLogEntry {
  at?: string;
  release?: string;
  /** `deploy` (built from app_source) or `rollback` (an existing release put back live). */
  action?: string;
  by?: string;
  source?: string;
  commit?: string;
}

export interface HostReleases {
  app: string;
  /** Newest first (by the folder's mtime). */
  releases: HostRelease[];
  /** What `current` points at when it is not a release of the list (or nothing). */
  currentTarget?: string;
  log: ReleaseLogEntry[];
}

/** The read-only script that lists the releases of app `name`. */
export function releasesScript(name: string): string {
  const paths = appPaths(name, '');
  return [
    `root=${quote(paths.root)}`,
    'printf "current=%s\\n" "$(readlink "$root/current" 2>/dev/null)"',
    'for d in "$root"/releases/*/; do',
    '  [ -d "$d" ] || continue; d=${d%/}; id=${d##*/}',
    '  printf "release=%s %s %s\\n" "$id" "$(stat -c %Y "$d")" "$([ -f "$d/.scaleup.complete" ] && echo complete || echo partial)"',
    `  [ -f "$d/.scaleup.release.json" ] && printf "meta=%s %s\\n" "$id" "$(head -c ${MAX_PROVENANCE_BYTES} "$d/.scaleup.release.json" | base64 -w0)"`,
    'done',
    `[ -f ${quote(paths.releaseLog)} ] && printf "log=%s\\n" "$(tail -n ${LOG_LINES} ${quote(paths.releaseLog)} | base64 -w0)"`,
    'true',
  ].join('\n');
}

/** The string fields of `value` named in `keys` (anything else is dropped). */
function stringFields<K extends string>(value: unknown, keys: readonly K[]): Partial<Record<K, string>> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Partial<Record<K, string>> = {};
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (typeof v === 'string') out[k] = v.slice(0, 500);
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

/** Parses the script's output; lines that do not fit are ignored. */
export function parseReleases(app: string, stdout: string): HostReleases {
  const paths = appPaths(app, '');
  let currentTarget: string | undefined;
  const byId = new Map<string, HostRelease>();
  const meta = new Map<string, unknown>();
  const log: ReleaseLogEntry[] = [];
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'current') currentTarget = value || undefined;
    else if (key === 'release') {
      const [id, mtime, state] = value.split(' ');
      if (!id || !RELEASE_ID.test(id)) continue;
      const seconds = Number(mtime);
      byId.set(id, {
        id, current: false, complete: state === 'complete',
        ...(Number.isFinite(seconds) && seconds > 0 ? { madeAt: new Date(seconds * 1000).toISOString() } : {}),
      });
    } else if (key === 'meta') {
      const [id, b64] = value.split(' ');
      if (id && RELEASE_ID.test(id) && b64) meta.set(id, parseJson(decode(b64)));
    } else if (key === 'log') {
      for (const entry of decode(value).split('\n').filter(Boolean)) {
        const parsed = parseJson(entry);
        if (parsed !== undefined) log.push(stringFields(parsed, ['at', 'release', 'action', 'by', 'source', 'commit'] as const));
      }
    }
  }
  for (const [id, m] of meta) {
    const release = byId.get(id);
    if (!release) continue;
    Object.assign(release, stringFields(m, ['source', 'commit', 'build', 'by', 'builtAt'] as const));
    const dirty = (m as { dirty?: unknown } | undefined)?.dirty;
    if (typeof dirty === 'boolean') release.dirty = dirty;
  }
  const currentId = currentTarget?.startsWith(`${paths.releases}/`) ? currentTarget.slice(paths.releases.length + 1) : undefined;
  const current = currentId ? byId.get(currentId) : undefined;
  if (current) current.current = true;
  const releases = [...byId.values()].sort((a, b) => (b.madeAt ?? '').localeCompare(a.madeAt ?? '') || a.id.localeCompare(b.id));
  return { app, releases, ...(current ? {} : currentTarget ? { currentTarget } : {}), log };
}

/** Lists the releases of app `name` on the host behind `conn`. */
export async function hostReleases(conn: Connection, name: string): Promise<HostReleases> {
  const result = await conn.exec(releasesScript(name), { timeoutMs: 30_000 });
  return parseReleases(name, result.stdout);
}

/** What one host answered, or why it did not. */
export type HostAnswer = ({ host: string } & HostReleases) | { host: string; unreachable: string };

/** The releases of each host's app (named by `appName`), read in parallel; a host that cannot be reached says why. */
export async function releasesOn(hosts: Host[], appName: (host: Host) => string, connect: (host: Host) => Promise<Connection>): Promise<HostAnswer[]> {
  return Promise.all(hosts.map(async (host): Promise<HostAnswer> => {
    try {
      const conn = await connect(host);
      try {
        return { host: host.name, ...(await hostReleases(conn, appName(host))) };
      } finally {
        await conn.close();
      }
    } catch (err) {
      if (!(err instanceof ScaleupError)) throw err;
      return { host: host.name, unreachable: err.message };
    }
  }));
}
