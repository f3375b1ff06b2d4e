// Colours only on a terminal, and never with NO_COLOR or in CI logs.
import pc from 'picocolors';

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.CI !== 'true';
}

export function palette(enabled: boolean) {
  const id = (s: string) => s;
  return enabled
    ? { ok: pc.green, changed: pc.yellow, failed: pc.red, skipped: pc.cyan, dim: pc.dim, bold: pc.bold }
    : { ok: id, changed: id, failed: id, skipped: id, dim: id, bold: id };
}

/** Whether to use the live listr2 tree (TTY, not CI) or one plain line per event. */
export function useLiveTree(): boolean {
  return Boolean(process.stdout.isTTY) && process.env.CI !== 'true' && !process.env.NO_COLOR;
}
