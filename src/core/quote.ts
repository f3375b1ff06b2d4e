/**
 * Quotes one argument for a POSIX shell: the shell receives exactly `s`, whatever it contains
 * (quotes, `$(…)`, backticks, newlines). Safe words are left bare so commands stay readable.
 */
export function quote(s: string): string {
  if (s === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each argument and joins them into one command line. */
export function shellJoin(args: string[]): string {
  return args.map(quote).join(' ');
}
