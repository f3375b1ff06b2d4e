// File-system steps: template, content, directory, symlink, absent, lineinfile.
import path from 'node:path';
import { quote } from '../quote.ts';
import { Secret } from '../secret.ts';
import { findTemplate, renderTemplate } from '../template.ts';
import { fileContentStep, symlinkRefused, type FileContentOptions } from './file-content.ts';
import { pathState } from './path-states.ts';
import { enterDirectory, runSafeWrite, stagedName } from './safe-write.ts';
import { linkTarget, linkTargetProbe, normMode, probeFields, statProbe } from './probe-output.ts';
import type { Change, Step, StepContext } from './step.ts';

export interface TemplateOptions extends FileContentOptions {
  /** Template path relative to the role's `templates/` folder, e.g. `nginx.conf.ejs`. */
  src: string;
  /** Extra locals on top of the role's variables. */
  vars?: Record<string, unknown>;
}

/** The locals a template sees: role vars, host, facts, hostsIn(), and the step's extras. */
export function templateLocals(ctx: StepContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...ctx.vars, host: ctx.host, facts: ctx.facts, hostsIn: ctx.hostsIn, ...extra };
}

export function template(options: TemplateOptions): Step {
  // Rendered once per context: probe/decide/apply of one host share the same vars.
  const rendered = new WeakMap<StepContext, string>();
  return fileContentStep('template', options, (ctx) => {
    let text = rendered.get(ctx);
    if (text === undefined) {
      const file = findTemplate(ctx.role?.home, options.src, ctx.role ? `role ${ctx.role.name}` : undefined);
      text = renderTemplate(file, templateLocals(ctx, options.vars), options.src);
      rendered.set(ctx, text);
    }
    return text;
  });
}

export interface ContentOptions extends FileContentOptions {
  content: string | Buffer | Secret;
}

export function content(options: ContentOptions): Step {
  const value = options.content;
  return fileContentStep('file', options, () => (value instanceof Secret ? value.reveal() : value));
}

/** `replace`: something other than a directory is in the way and is removed first. */
interface DirectoryChange extends Change {
  replace?: boolean;
}

export function directory(options: { path: string; owner?: string; group?: string; mode?: string; tags?: string[] }): Step<DirectoryChange> {
  const dir = path.posix.normalize(options.path).replace(/(.)\/+$/, '$1');
  const q = quote(dir);
  const owner = options.owner ?? 'root';
  const group = options.group ?? 'root';
  const mode = normMode(options.mode ?? '0755');
  return {
    name: `directory ${options.path}`,
    tags: options.tags,
    paths: [options.path],
    probe: () => statProbe(q),
    shared: () => pathState(dir),
    decide: (out) => {
      const f = probeFields(out.stdout);
      if (f.get('exists') !== '1') return [{ summary: 'create' }];
      if (f.get('type') === 'symbolic link') throw symlinkRefused(options.path, linkTarget(f) ?? '?');
      if (f.get('type') !== 'directory') return [{ summary: `replace ${f.get('type')} with a directory`, replace: true }];
      const changes: DirectoryChange[] = [];
      if (f.get('owner') !== owner || f.get('group') !== group) changes.push({ summary: `owner ${f.get('owner')}:${f.get('group')} → ${owner}:${group}` });
      if (normMode(f.get('mode') ?? '') !== mode) changes.push({ summary: `mode ${normMode(f.get('mode') ?? '')} → ${mode}` });
      return changes;
    },
    apply: async (remote, changes) => {
      const replace = changes.some((c) => c.replace);
      // chown and chmod act on `.` once inside the directory, and only after checking that getting
      // there followed no link: a link renamed over the path (or a directory above it) since the probe
      // would otherwise hand the directory it points to to `owner`.
      await remote.run([
        'set -e',
        replace ? `[ -d ${q} ] || rm -f -- ${q}` : '',
        `[ -d ${q} ] || mkdir -p -- ${q}`,
        `dir=${q}`,
        ...enterDirectory(),
        `chown ${quote(`${owner}:${group}`)} .`,
        `chmod ${mode} .`,
      ].filter(Boolean).join('\n'));
    },
  };
}

export function symlink(options: { path: string; target: string; notify?: string[]; tags?: string[] }): Step {
  const q = quote(options.path);
  return {
    name: `symlink ${options.path}`,
    notify: options.notify,
    tags: options.tags,
    probe: () => statProbe(q),
    shared: () => pathState(options.path),
    decide: (out) => {
      const f = probeFields(out.stdout);
      if (f.get('exists') !== '1') return [{ summary: `create → ${options.target}` }];
      if (f.get('type') !== 'symbolic link') return [{ summary: `replace ${f.get('type')} with a link → ${options.target}` }];
      if (linkTarget(f) !== options.target) return [{ summary: `${linkTarget(f)} → ${options.target}` }];
      return [];
    },
    apply: async (remote) => {
      // A new link beside the old one, then rename over it: readers never see the path missing. In the
      // pinned directory, under a name made on the host; `-T`: a directory planted at that name is an
      // error, not a place to put the link in.
      await remote.run([
        'set -e',
        `dir=${quote(path.posix.dirname(options.path))}; name=${quote(path.posix.basename(options.path))}`,
        ...enterDirectory(),
        stagedName(),
        `ln -s -T -- ${quote(options.target)} "./$tmp"`,
        'mv -T -f -- "./$tmp" "./$name"',
      ].join('\n'));
    },
  };
}

export function absent(options: { path: string; notify?: string[]; tags?: string[] }): Step {
  const q = quote(options.path);
  return {
    name: `absent ${options.path}`,
    notify: options.notify,
    tags: options.tags,
    paths: [options.path],
    probe: () => `if [ -L ${q} ] || [ -e ${q} ]; then echo exists=1; else echo exists=0; fi`,
    decide: (out) => (probeFields(out.stdout).get('exists') === '1' ? [{ summary: 'remove' }] : []),
    apply: async (remote) => {
      await remote.run(`rm -rf -- ${q}`);
    },
  };
}

/**
 * Ensures `line` is in the file: replaces the last line matching `regexp` (an extended regular
 * expression), or appends. Like Ansible's lineinfile with state=present.
 */
export function lineinfile(options: { path: string; line: string; regexp?: string; notify?: string[]; tags?: string[] }): Step {
  const q = quote(options.path);
  return {
    name: `lineinfile ${options.path}`,
    notify: options.notify,
    tags: options.tags,
    paths: [options.path],
    probe: () => `if [ -L ${q} ]; then echo exists=link; ${linkTargetProbe(q)}; ` +
      `elif [ -f ${q} ]; then echo exists=1; grep -qxF -- ${quote(options.line)} ${q} && echo present=1; ` +
      (options.regexp ? `grep -cE -- ${quote(options.regexp)} ${q} | sed 's/^/matches=/'; ` : '') +
      `else echo exists=0; fi`,
    decide: (out) => {
      const f = probeFields(out.stdout);
      if (f.get('exists') === 'link') throw symlinkRefused(options.path, linkTarget(f) ?? '?');
      if (f.get('exists') !== '1') return [{ summary: `create with ${JSON.stringify(options.line)}` }];
      if (f.get('present') !== '1' || Number(f.get('matches') ?? '0') > 1) {
        return [{ summary: Number(f.get('matches') ?? '0') > 0 ? 'replace matching line' : 'append line' }];
      }
      return [];
    },
    apply: async (remote) => {
      // Through the environment, not `awk -v`, which would turn each backslash of the line into an escape.
      const awk = `SCALEUP_RE=${quote(options.regexp ?? '')} SCALEUP_LINE=${quote(options.line)} awk ` +
        `'BEGIN{re=ENVIRON["SCALEUP_RE"]; line=ENVIRON["SCALEUP_LINE"]; last=0} {l[NR]=$0; if (re != "" && $0 ~ re) last=NR; if ($0 == line && last == 0) have=NR} ` +
        `END{for (i=1;i<=NR;i++) { if (i==last) print line; else if (!(re != "" && l[i] ~ re)) print l[i] } if (last==0 && !have) print line}' "$live"`;
      await runSafeWrite(remote, { dest: options.path, owner: 'keep', mode: 'keep', fill: awk });
    },
  };
}
