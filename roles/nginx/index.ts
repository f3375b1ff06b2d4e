// The web tier: nginx serving the static files and proxying everything else to every app host.
import path from 'node:path';
import { defineRole, file, pkg, service } from 'scaleup';
import { NGINX_FAIL_TIMEOUT_S, tierMembers } from '../shared-vars.ts';
import { nginxPaths, nginxVariables, readStaticFiles, validateNginx } from './vars.ts';

export default defineRole({
  name: 'nginx',
  description: 'nginx: static files, and a keepalive reverse proxy to all app hosts',
  variables: nginxVariables,
  steps(v, { dir, hostsIn, varsOf }) {
    const reload = ['reload nginx'];
    // Every app host, at its private address and the port its own app listens on.
    const upstreams = tierMembers(hostsIn(v.app_group), varsOf, 'app_port');
    // Each app host's surge port: a backup, used only while no app_port answers (during a deploy).
    const surges = tierMembers(hostsIn(v.app_group), varsOf, 'app_surge_port');
    const staticDir = `${v.nginx_document_root}/static`;
    const assets = readStaticFiles(dir);
    return [
      pkg.installed(['nginx']),
      file.template({ src: 'validate-site.sh.ejs', dest: nginxPaths.validateSite, mode: '0755' }),
      file.template({
        src: 'nginx.conf.ejs',
        dest: nginxPaths.conf,
        mode: '0644',
        validate: 'nginx -t -q -c %s',
        notify: reload,
      }),
      // A site file is only valid inside nginx.conf's http block: the script builds a copy of
      // nginx.conf that includes the staged file instead of sites-enabled/*, and runs nginx -t on it.
      file.template({
        src: 'site.conf.ejs',
        vars: { upstreams, surges, fail_timeout: NGINX_FAIL_TIMEOUT_S },
        dest: nginxPaths.site,
        mode: '0644',
        validate: `${nginxPaths.validateSite} %s`,
        notify: reload,
      }),
      // The default site also claims default_server on port 80: remove it before enabling ours.
      file.absent({ path: nginxPaths.defaultSite, notify: reload }),
      file.symlink({ path: nginxPaths.siteLink, target: nginxPaths.site, notify: reload }),
      file.directory({ path: v.nginx_document_root, mode: '0755' }),
      file.directory({ path: staticDir, mode: '0755' }),
      ...assets.directories.map((d) => file.directory({ path: `${staticDir}/${d}`, mode: '0755' })),
      ...assets.files.map((f) => file.content({ dest: path.posix.join(staticDir, f.path), content: f.content, mode: '0644' })),
      service.running('nginx', { enabled: true }),
    ];
  },
  handlers: () => ({ 'reload nginx': service.reloaded('nginx') }),
  // The error log is nginx's own file (nginx.conf.ejs); its journal has what systemd saw of it.
  logs: () => [{ unit: 'nginx', files: ['/var/log/nginx/error.log'] }],
  validate: (inventory, hosts) => validateNginx(inventory, hosts),
});
