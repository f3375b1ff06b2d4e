// `provision init [DIR]`: a new project a person would commit — package.json (depending on this
// scaleup), tsconfig.json, scaleup.yml, an example inventory, a playbook and a small sample role with
// its template. Never overwrites a file; `--stack` adds the scale-up stack's playbook and an example
// inventory for it, using the built-in roles.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ScaleupError } from '../../core/errors.ts';
import { packageRoot, packageVersion } from '../../package-root.ts';

const scaffoldDir = path.join(packageRoot, 'scaffold', 'project');

interface PlannedFile {
  /** Relative to the new project's root. */
  file: string;
  text: string;
}

function scaffoldFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? scaffoldFiles(dir, p) : [p];
  });
}


/** The files of a new project called `name`: the scaffold, and with `stack` the stack's playbook and inventory. */
export function projectFiles(name: string, stack: boolean): PlannedFile[] {
  let typescript = '6.0.0';
  try {
    typescript = packageVersion('typescript');
  } catch {
    // An installed scaleup has no TypeScript of its own: the scaffold's default stands.
  }
  const fill = (text: string) => text.replaceAll('{{name}}', name).replaceAll('{{version}}', packageVersion('scaleup')).replaceAll('{{typescriptVersion}}', typescript);
  // npm leaves every .gitignore out of a package: the scaffold keeps them as `gitignore`.
  const files = scaffoldFiles(scaffoldDir).map((file) => ({
    file: file.replace(/(^|\/)gitignore$/, '$1.gitignore'),
    text: fill(readFileSync(path.join(scaffoldDir, file), 'utf8')),
  }));
  if (stack) {
    files.push({
      file: 'playbooks/stack.yml',
      text: `# The scale-up stack with scaleup's built-in roles: npx provision apply -i inventory/stack.yml -p playbooks/stack.yml\n${readFileSync(path.join(packageRoot, 'playbooks', 'site.yml'), 'utf8')}`,
    });
    files.push({
      file: 'inventory/stack.yml',
      text: readFileSync(path.join(packageRoot, 'inventory', 'example.yml'), 'utf8')
        .replace('$schema=../docs/inventory.schema.json', '$schema=../node_modules/scaleup/docs/inventory.schema.json')
        .replaceAll('inventory/prod.yml', 'inventory/stack.yml').replaceAll('prod.agekey', 'stack.agekey').replaceAll('prod.secrets.age', 'stack.secrets.age')
        .replace('secrets: example.secrets.age', 'secrets: stack.secrets.age'),
    });
  }
  return files;
}

export interface InitResult {
  written: string[];
  kept: string[];
}

/** Writes the project into `dir`, keeping every file that exists already. */
export function initProject(dir: string, options: { stack?: boolean; name?: string } = {}): InitResult {
  const root = path.resolve(dir);
  const name = (options.name ?? path.basename(root)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'servers';
  const result: InitResult = { written: [], kept: [] };
  for (const { file, text } of projectFiles(name, Boolean(options.stack))) {
    const target = path.join(root, file);
    if (existsSync(target)) {
      result.kept.push(file);
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text, { flag: 'wx' });
    result.written.push(file);
  }
  return result;
}

export function registerInitCommand(program: Command): void {
  program
    .command('init [dir]')
    .description('Start a project: scaleup.yml, an inventory, a playbook and a sample role (never overwrites a file)')
    .option('--stack', 'also the scale-up stack: playbooks/stack.yml with the built-in roles, inventory/stack.yml')
    .addHelpText('after', '\nExamples:\n  provision init my-servers\n  provision init . --stack\n')
    .action((dir: string | undefined, flags: { stack?: boolean }) => {
      const root = path.resolve(dir ?? '.');
      if (existsSync(root) && !statSync(root).isDirectory()) throw new ScaleupError(`${root}: not a folder`);
      const { written, kept } = initProject(root, flags);
      const shown = path.relative(process.cwd(), root) || '.';
      for (const file of written) process.stdout.write(`created  ${path.join(shown, file)}\n`);
      for (const file of kept) process.stdout.write(`kept     ${path.join(shown, file)} (exists)\n`);
      process.stdout.write(`\nNext:\n${shown === '.' ? '' : `  cd ${shown}\n`}  npm install\n  edit inventory/hosts.yml (your server's address), then\n  npx provision apply --check --accept-new-host-keys\n`);
    });
}
