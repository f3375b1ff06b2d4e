// `provision completion bash|zsh`: scripts generated from the commander tree, exercised in real shells.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Argument, Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { bashCompletion, commandSpecs, registerCompletionCommand, zshCompletion } from '../../src/cli/commands/completion.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { budget, PROCESS_MS } from './budgets.ts';

/** A small tree with what the generator must handle: nesting, value options, choices, files. */
function sample(): Command {
  const program = new Command('tool').version('1.0.0');
  program
    .command('apply')
    .description('Converge: hosts')
    .option('-i, --inventory <file>', 'inventory file')
    .option('-l, --limit <pattern>', 'hosts')
    .option('--check', 'change nothing')
    .addOption(new Option('--format <format>', 'output').choices(['plain', 'json']));
  const lab = program.command('lab').description('the lab');
  lab.command('up').description('start it').addOption(new Option('--init <flavor>', "it's the init").choices(['systemd', 'sysv']));
  lab.command('down').description('stop it');
  program.command('decrypt').argument('<file>', 'encrypted file');
  program.command('secret', { hidden: true });
  registerCompletionCommand(program);
  return program;
}

const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-completion-'));

function bashComplete(script: string, line: string): string[] {
  const file = path.join(dir, 'bash.sh');
  writeFileSync(file, script);
  const words = line.split(' ');
  const cmd = `source ${file}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_tool; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8', cwd: dir, timeout: PROCESS_MS }).split('\n').filter(Boolean);
}

const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;

/** Runs the zsh function with the completion builtins replaced by functions that print what they were given. */
function zshComplete(script: string, line: string): string[] {
  const file = path.join(dir, 'zsh.zsh');
  writeFileSync(file, script);
  const words = line.split(' ');
  const cmd = `compdef() { :; }
_describe() { local -a a; a=("\${(@P)4}"); print -l -- "\${a[@]%%:*}"; }
compadd() { [[ $1 == -a ]] && print -l -- "\${(@P)2}"; }
_files() { print -- '<files>'; }
_message() { print -- "<$1>"; }
source ${file}
words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}
_tool`;
  return execFileSync('zsh', ['-f', '-c', cmd], { encoding: 'utf8', cwd: dir, timeout: PROCESS_MS }).split('\n').filter(Boolean);
}

describe('the command tree', () => {
  it('is walked from commander, hidden commands left out', () => {
    const specs = commandSpecs(sample());
    expect(specs.map((s) => s.path.join(' '))).toEqual(['', 'apply', 'lab', 'lab up', 'lab down', 'lab help', 'decrypt', 'completion', 'help']);
    const apply = specs.find((s) => s.path.join(' ') === 'apply')!;
    expect(apply.options.find((o) => o.names.includes('--inventory'))).toMatchObject({ takesValue: true, file: true });
    expect(apply.options.find((o) => o.names.includes('--format'))).toMatchObject({ choices: ['plain', 'json'], file: false });
    expect(specs.find((s) => s.path.join(' ') === 'completion')!.argChoices).toEqual(['bash', 'zsh']);
    expect(specs.find((s) => s.path.join(' ') === 'help')!.argChoices).toEqual(['apply', 'lab', 'decrypt', 'completion']);
  });
});

describe('bash', () => {
  const script = bashCompletion(sample());

  it('is valid bash', () => {
    writeFileSync(path.join(dir, 'syntax.sh'), script);
    expect(spawnSync('bash', ['-n', path.join(dir, 'syntax.sh')]).status).toBe(0);
  }, budget({ processes: 1 }));

  it('completes commands, subcommands, options, choices and files', () => {
    expect(bashComplete(script, 'tool ')).toEqual(['apply', 'lab', 'decrypt', 'completion', 'help']);
    expect(bashComplete(script, 'tool l')).toEqual(['lab']);
    expect(bashComplete(script, 'tool lab ')).toEqual(['up', 'down', 'help']);
    expect(bashComplete(script, 'tool lab up --')).toEqual(['--init', '--help']);
    expect(bashComplete(script, 'tool lab up --init ')).toEqual(['systemd', 'sysv']);
    expect(bashComplete(script, 'tool apply --f')).toEqual(['--format']);
    expect(bashComplete(script, 'tool apply --format j')).toEqual(['json']);
    expect(bashComplete(script, 'tool completion ')).toEqual(['bash', 'zsh']);
    expect(bashComplete(script, 'tool help ')).toEqual(['apply', 'lab', 'decrypt', 'completion']);
    writeFileSync(path.join(dir, 'site.yml'), '');
    expect(bashComplete(script, 'tool apply -i sit')).toEqual(['site.yml']);
    expect(bashComplete(script, 'tool decrypt sit')).toEqual(['site.yml']);
    // The value of an option is not mistaken for a command.
    expect(bashComplete(script, 'tool apply -l lab --')).toContain('--check');
    expect(bashComplete(script, 'tool apply -l ')).toEqual([]);
  }, budget({ processes: 15 }));
});

describe.skipIf(!hasZsh)('zsh', () => {
  const script = zshCompletion(sample());

  it('is valid zsh', () => {
    writeFileSync(path.join(dir, 'syntax.zsh'), script);
    expect(spawnSync('zsh', ['-n', path.join(dir, 'syntax.zsh')]).status).toBe(0);
    expect(script.startsWith('#compdef tool\n')).toBe(true);
  }, budget({ processes: 1 }));

  it('completes commands, subcommands, options, choices and files', () => {
    expect(zshComplete(script, 'tool ')).toEqual(['apply', 'lab', 'decrypt', 'completion', 'help']);
    expect(zshComplete(script, 'tool lab ')).toEqual(['up', 'down', 'help']);
    expect(zshComplete(script, 'tool lab up --init ')).toEqual(['systemd', 'sysv']);
    expect(zshComplete(script, 'tool lab up -')).toEqual(['--init', '-h', '--help']);
    expect(zshComplete(script, 'tool apply -i ')).toEqual(['<files>']);
    expect(zshComplete(script, 'tool apply -l ')).toEqual(['<value>']);
    expect(zshComplete(script, 'tool apply -l lab -')).toContain('--check');
    expect(zshComplete(script, 'tool completion ')).toEqual(['bash', 'zsh']);
    expect(zshComplete(script, 'tool decrypt ')).toEqual(['<files>']);
  }, budget({ processes: 9 }));

  it('keeps descriptions, with a colon in them intact', () => {
    expect(script).toContain("'apply:Converge: hosts'");
    expect(script).toContain(`'--init:it'\\''s the init'`);
  });
});

describe('provision completion', () => {
  it('covers the real command tree, including graph and completion', () => {
    const program = buildProgram();
    const script = bashCompletion(program);
    expect(script).toMatch(/\n {4}''\)\n {6}subs='init apply [^']*graph inventory completion[^']*'/);
    expect(script).toContain("'graph|--format') echo 'mermaid dot' ;;");
    expect(script).toContain('complete -F _provision provision');
  });
});
