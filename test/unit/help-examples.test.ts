// Every command's --help ends with examples: a person learns a command from its help, not the docs.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';

function commandsOf(cmd: Command, prefix: string[] = []): { path: string; cmd: Command }[] {
  return cmd.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return [{ path: path.join(' '), cmd: sub }, ...commandsOf(sub, path)];
  });
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  // Text added with addHelpText is printed on the 'afterHelp' event, to stdout.
  return text;
}

describe('provision --help', () => {
  const program = buildProgram();
  const all = commandsOf(program);

  it('knows the commands (the walk found the tree)', () => {
    expect(all.map((c) => c.path)).toEqual(expect.arrayContaining(['apply', 'lab up', 'vault set', 'inventory']));
  });

  it.each(all.map((c) => [c.path, c.cmd] as const))('%s shows examples', (path, cmd) => {
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      writes.push(helpOf(cmd));
    } finally {
      process.stdout.write = original;
    }
    const help = writes.join('');
    expect(help, `provision ${path} --help`).toMatch(/\nExamples:\n {2}\S/);
    const examples = help.slice(help.indexOf('Examples:')).split('\n').slice(1).filter((l) => l.startsWith('  '));
    expect(examples.some((l) => l.includes(`provision ${path.split(' ')[0]}`))).toBe(true);
  });
});
