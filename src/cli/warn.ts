// Warnings: what a person should fix although the command goes ahead (a secret kept in plain text).
// On stderr, so `--json -` stays machine-readable; each at most once per process, since the wizard
// loads a project for its plan and `apply` loads it again.
const shown = new Set<string>();

export function warn(message: string, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  if (shown.has(message)) return;
  shown.add(message);
  write(`warning: ${message}`);
}
