// The four tiers of the stack as the wizard presents them: the inventory group each one becomes,
// what runs there, and the host names it suggests.

export type Tier = 'lb' | 'web' | 'app' | 'db';

export interface TierInfo {
  tier: Tier;
  /** What runs on the tier, in words a newcomer recognises. */
  label: string;
  /** The hosts a new inventory starts with. */
  defaultNames: string[];
}

export const TIERS: readonly TierInfo[] = [
  { tier: 'lb', label: 'load balancers (HAProxy + keepalived, they share the VIP)', defaultNames: ['lb-01', 'lb-02'] },
  { tier: 'web', label: 'web servers (nginx)', defaultNames: ['web-01'] },
  { tier: 'app', label: 'app servers', defaultNames: ['app-01'] },
  { tier: 'db', label: 'database (MySQL)', defaultNames: ['db-01'] },
];

export function tierInfo(tier: string): TierInfo | undefined {
  return TIERS.find((t) => t.tier === tier);
}

/**
 * The next free name in a tier's sequence: `web-01`, `web-02` → `web-03`. Follows the pattern of the
 * last existing name when it ends in digits (keeping its zero padding), else `<tier>-NN`.
 */
export function nextHostName(tier: string, existing: readonly string[]): string {
  const taken = new Set(existing);
  const last = [...existing].reverse().find((n) => /\d+$/.test(n));
  const m = last ? /^(.*?)(\d+)$/.exec(last) : undefined;
  const prefix = m ? m[1]! : `${tier}-`;
  const width = m ? m[2]!.length : 2;
  for (let i = m ? Number(m[2]) + 1 : 1; ; i++) {
    const name = `${prefix}${String(i).padStart(width, '0')}`;
    if (!taken.has(name)) return name;
  }
}
