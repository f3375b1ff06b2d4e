// MariaDB GTID positions (`domain-server-seq`, comma-separated, one per replication domain): which of
// two servers has applied more, and what one lacks of another. Parsed strictly: a host's answer that is
// not a position is refused, never guessed at.
import { ScaleupError } from '../core/errors.ts';

/** A position: the last sequence number applied, per domain (and the server that wrote it). */
export type GtidPosition = Map<number, { server: number; seq: number }>;

const PART = /^(\d+)-(\d+)-(\d+)$/;

export function parseGtid(text: string): GtidPosition {
  const position: GtidPosition = new Map();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = PART.exec(part);
    if (!m) throw new ScaleupError(`not a GTID position: '${text.slice(0, 80)}'`);
    position.set(Number(m[1]), { server: Number(m[2]), seq: Number(m[3]) });
  }
  return position;
}

/** The domains in which `a` is ahead of `b`, as `domain-server-seq` of `a` (empty: `a` has nothing `b` lacks). */
export function aheadOf(a: GtidPosition, b: GtidPosition): string[] {
  const ahead: string[] = [];
  for (const [domain, { server, seq }] of a) {
    if (seq > (b.get(domain)?.seq ?? 0)) ahead.push(`${domain}-${server}-${seq}`);
  }
  return ahead;
}

export function formatGtid(position: GtidPosition): string {
  return [...position].sort(([x], [y]) => x - y).map(([d, { server, seq }]) => `${d}-${server}-${seq}`).join(',');
}
