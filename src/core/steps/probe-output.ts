// Probe snippets print `key=value` lines; steps read them back with this. Text another user on the
// host can choose (a link's target, a file name) is printed base64-encoded, so it cannot add lines;
// a key printed twice is refused rather than believed either way.
import { StepError } from '../errors.ts';

export function probeFields(stdout: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (fields.has(key)) throw new StepError(`the host's answer gives '${key}' twice: refusing to decide on it (a name on the host holding a line break?)`);
    fields.set(key, line.slice(eq + 1));
  }
  return fields;
}

/** Prints `target=<base64 of the link's target>` for the link at a quoted path. */
export function linkTargetProbe(quotedPath: string): string {
  return `printf 'target=%s\\n' "$(readlink -n ${quotedPath} | base64 -w0)"`;
}

/** The link target a probe printed with linkTargetProbe. */
export function linkTarget(fields: Map<string, string>): string | undefined {
  const t = fields.get('target');
  return t === undefined ? undefined : Buffer.from(t, 'base64').toString('utf8');
}

/** Probe snippet printing `exists`, `type`, `owner`, `group`, `mode` (and `target` for links) of a path. */
export function statProbe(quotedPath: string): string {
  return `if [ -L ${quotedPath} ] || [ -e ${quotedPath} ]; then echo exists=1; ` +
    `stat --printf 'type=%F\\nowner=%U\\ngroup=%G\\nmode=%a\\n' ${quotedPath}; ` +
    `[ -L ${quotedPath} ] && ${linkTargetProbe(quotedPath)}; else echo exists=0; fi`;
}

/** Normalises a mode like `644` or `0644` to 4 octal digits. */
export function normMode(mode: string): string {
  return mode.replace(/^0+(?=\d{4})/, '').padStart(4, '0');
}
