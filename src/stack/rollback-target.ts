// Which release `provision rollback` puts back live, decided from what the app hosts hold (their
// release folders and release logs, src/stack/releases.ts) before anything changes. One release for
// every host: a rollback that left hosts on different releases would serve two versions at once.
import { ScaleupError } from '../core/errors.ts';
import type { HostRelease, HostReleases } from './releases.ts';

/** The shortest release-id prefix `provision rollback` accepts (as git's short commit ids). */
const MIN_PREFIX = 4;

export type HostState = { host: string } & HostReleases;

const complete = (h: HostReleases) => h.releases.filter((r) => r.complete);
const currentOf = (h: HostReleases): HostRelease | undefined => h.releases.find((r) => r.current);

/**
 * The release that was live on the host before the current one: the release of the last switch
 * before the current release's, still complete on the host; without a usable log, the newest
 * complete release other than the current one. So a second rollback undoes the first.
 */
export function previousRelease(h: HostReleases): string | undefined {
  const current = currentOf(h)?.id;
  const present = new Set(complete(h).map((r) => r.id));
  const switches = h.log.map((e) => e.release).filter((id): id is string => Boolean(id));
  const lastToCurrent = switches.lastIndexOf(current ?? '');
  if (lastToCurrent > 0) {
    for (let i = lastToCurrent - 1; i >= 0; i--) {
      const id = switches[i]!;
      if (id !== current && present.has(id)) return id;
    }
  }
  // releases are newest first.
  return complete(h).find((r) => r.id !== current)?.id;
}

/**
 * The release to roll back to on every host: `wanted` (an id or a unique prefix of one), else each
 * host's previous release, which must be the same everywhere. Throws a ScaleupError that says what
 * each host holds when there is no such release.
 */
export function rollbackTarget(hosts: HostState[], wanted?: string): string {
  if (!hosts.length) throw new ScaleupError('rollback: no app host selected');
  if (wanted !== undefined) {
    if (!new RegExp(`^[0-9a-f]{${MIN_PREFIX},12}$`).test(wanted)) {
      throw new ScaleupError(`rollback: '${wanted}' is not a release id (${MIN_PREFIX} to 12 hex digits, as \`provision releases\` lists them)`);
    }
    const ids = [...new Set(hosts.flatMap((h) => complete(h).map((r) => r.id)))].filter((id) => id.startsWith(wanted));
    if (ids.length > 1) throw new ScaleupError(`rollback: '${wanted}' names several releases: ${ids.sort().join(', ')}; give more digits`);
    const id = ids[0];
    if (!id) throw new ScaleupError(`rollback: no app host holds a complete release '${wanted}' (\`provision releases\` lists them)`);
    const missing = hosts.filter((h) => !complete(h).some((r) => r.id === id)).map((h) => h.host);
    if (missing.length) throw new ScaleupError(`rollback: release ${id} is not on ${missing.join(', ')}: deploy it there first, or --limit the rollback to the hosts that hold it`);
    return id;
  }
  const previous = hosts.map((h) => ({ host: h.host, id: previousRelease(h) }));
  const none = previous.filter((p) => !p.id).map((p) => p.host);
  if (none.length) throw new ScaleupError(`rollback: no earlier release to go back to on ${none.join(', ')}`);
  const ids = new Set(previous.map((p) => p.id));
  if (ids.size > 1) {
    throw new ScaleupError(`rollback: the app hosts' previous releases differ (${previous.map((p) => `${p.host}: ${p.id}`).join(', ')}); name the release: provision rollback RELEASE`);
  }
  return previous[0]!.id!;
}
