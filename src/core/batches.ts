// How a play's hosts are scheduled: cut into serial batches (a rolling change reaches a few hosts
// before the rest), and at most `forks` of them worked on at a time.

/**
 * The play's hosts in batches of `serial` hosts, in order: a count, or a percentage of the play's
 * hosts like "50%" (rounded down, at least one host). Without `serial`, one batch of every host.
 */
export function serialBatches<T>(hosts: T[], serial: number | string | undefined): T[][] {
  if (serial === undefined) return [hosts];
  const size = typeof serial === 'string' && serial.endsWith('%')
    ? Math.max(1, Math.floor((hosts.length * Number(serial.slice(0, -1))) / 100))
    : Math.max(1, Number(serial));
  const out: T[][] = [];
  for (let i = 0; i < hosts.length; i += size) out.push(hosts.slice(i, i + size));
  return out;
}

/** Runs `fn` on every item, at most `limit` at once, starting them in order; resolves when all ended. */
export async function parallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
