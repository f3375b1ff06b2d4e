// Type errors in a project's roles, found before anything connects. A role is loaded without a build
// step (esbuild strips types without checking them), so a run type-checks the project's own roles
// with the project's own TypeScript and tsconfig.json, when the project has them (`provision init`
// puts both there); a project without TypeScript skips the check. A clean check is remembered by the
// hash of what it read (node_modules/.cache/scaleup/), so an unchanged project pays for it once.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InventoryError, InventoryErrors } from '../core/errors.ts';

type TypeScript = typeof import('typescript');

function projectTypeScript(projectRoot: string): TypeScript | undefined {
  try {
    return createRequire(path.join(projectRoot, 'package.json'))('typescript') as TypeScript;
  } catch {
    return undefined;
  }
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(m?ts)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** What the check depends on: the roles' sources, the tsconfig, the TypeScript version. */
function stamp(ts: TypeScript, files: string[], tsconfig: string | undefined): string {
  const hash = createHash('sha256').update(ts.version);
  for (const f of [...files, ...(tsconfig ? [tsconfig] : [])]) hash.update(f).update('\0').update(readFileSync(f)).update('\0');
  return hash.digest('hex');
}

/**
 * Throws InventoryError(s) at file:line:column for the type errors of the roles in `roleDirs` (the
 * project's own, not the ones scaleup ships), with the project's TypeScript; nothing without one.
 */
export function typecheckProjectRoles(projectRoot: string, roleDirs: string[]): void {
  const dirs = roleDirs.filter((d) => existsSync(d) && statSync(d).isDirectory());
  if (!dirs.length) return;
  const ts = projectTypeScript(projectRoot);
  if (!ts) return;
  const files = dirs.flatMap(sourcesUnder);
  const tsconfig = ts.findConfigFile(projectRoot, ts.sys.fileExists, 'tsconfig.json');
  const cacheDir = path.join(projectRoot, 'node_modules', '.cache', 'scaleup');
  const cacheFile = path.join(cacheDir, 'roles-typecheck');
  const current = stamp(ts, files, tsconfig && path.dirname(tsconfig) === projectRoot ? tsconfig : undefined);
  if (existsSync(cacheFile) && readFileSync(cacheFile, 'utf8') === current) return;

  const options: import('typescript').CompilerOptions = tsconfig
    ? ts.parseJsonConfigFileContent(ts.readConfigFile(tsconfig, ts.sys.readFile).config, ts.sys, path.dirname(tsconfig)).options
    : { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, allowImportingTsExtensions: true, skipLibCheck: true };
  const program = ts.createProgram(files, { ...options, noEmit: true });
  const inRoles = (file: string) => dirs.some((d) => file.startsWith(d + path.sep));
  const errors = ts.getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error && d.file && inRoles(path.resolve(d.file.fileName)))
    .map((d) => {
      const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return new InventoryError(`type error: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`, {
        file: path.resolve(d.file!.fileName), line: line + 1, column: character + 1, field: `TS${d.code}`,
      });
    });
  if (errors.length === 1) throw errors[0]!;
  if (errors.length) throw new InventoryErrors(errors);
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cacheFile, current);
  } catch {
    // A read-only project is checked again next time: no harm.
  }
}
