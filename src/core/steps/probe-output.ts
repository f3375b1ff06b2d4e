// Probe snippets print `key=value` lines; steps read them back with this.

export function probeFields(stdout: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

/** Probe snippet printing `exists`, `type`, `owner`, `group`, `mode` (and `target` for links) of a path. */
export function statProbe(quotedPath: string): string {
  return `if [ -L ${quotedPath} ] || [ -e ${quotedPath} ]; then echo exists=1; ` +
    `stat --printf 'type=%F\\nowner=%U\\ngroup=%G\\nmode=%a\\n' ${quotedPath}; ` +
    `[ -L ${quotedPath} ] && printf 'target=%s\\n' "$(readlink ${quotedPath})"; else echo exists=0; fi`;
}

/** Normalises a mode like `644` or `0644` to 4 octal digits. */
export function normMode(mode: string): string {
  return mode.replace(/^0+(?=\d{4})/, '').padStart(4, '0');
}
