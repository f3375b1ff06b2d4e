// The load balancer: HAProxy on the VIP in front of every web host, with HTTP health checks and a
// password-protected stats page on the host's private address. Travels with the keepalived role.
// With tls_mode set, it terminates HTTPS on the VIP with one certificate installed on both load
// balancers (prepared once on the control node, before any host is contacted; in acme mode issued
// once the config that answers the ACME server's challenges is live, see acme.ts).
import { defineRole, file, pkg, Secret, service, type Step, sysctl } from 'scaleup';
import { secretVar } from '../lib/secret-value.ts';
import { tierMembers } from '../shared-vars.ts';
import { filesMaterial, materialKey, PEM_VALIDATE, selfSignedMaterial, TLS_PEM_DIR, TLS_PEM_PATH, type TlsMaterial } from './tls.ts';
import { ACME_TOKEN_PATTERN, AcmeSite, accountThumbprint, placeholderPem } from './acme.ts';
import { acmeCertificateStep, acmePlaceholderStep } from './acme-step.ts';
import { haproxyQuote, haproxyVariables, validateHaproxy } from './vars.ts';

export default defineRole({
  name: 'haproxy',
  description: 'HAProxy on the VIP: HTTP load balancing over all web hosts with health checks',
  variables: haproxyVariables,
  required: ['vip', 'haproxy_stats_password'],
  prepare(v, { projectRoot }) {
    // Read (or made) once for the whole pair: both load balancers get the same bytes.
    if (v.tls_mode === 'files') {
      return { key: materialKey(['files', projectRoot, v.tls_cert_file, v.tls_key_file], v.tls_key), run: async () => filesMaterial(projectRoot, v.tls_cert_file, v.tls_key_file, v.tls_key) };
    }
    if (v.tls_mode === 'self-signed') {
      return { key: JSON.stringify(['self-signed', projectRoot, v.tls_domains, v.tls_renew_before_days]), run: () => selfSignedMaterial(projectRoot, v.tls_domains, v.tls_renew_before_days) };
    }
    if (v.tls_mode === 'acme') {
      const settings = {
        projectRoot, domains: v.tls_domains, renewBeforeDays: v.tls_renew_before_days, directoryUrl: v.acme_directory_url,
        caFile: v.acme_ca_file, email: v.acme_email, accountKey: secretVar(v.acme_account_key, 'acme_account_key'),
        vip: String(v.vip), httpPort: v.haproxy_frontend_port,
      };
      // One AcmeSite for the pair (the same key on both lbs): it places one order at most per run.
      return {
        key: materialKey(['acme', projectRoot, v.tls_domains, v.tls_renew_before_days, v.acme_directory_url, v.acme_ca_file, v.acme_email, v.vip, v.haproxy_frontend_port], v.acme_account_key),
        run: async () => new AcmeSite(settings, await placeholderPem(v.tls_domains)),
      };
    }
    return undefined;
  },
  steps(v, { hostsIn, varsOf, prepared }) {
    secretVar(v.haproxy_stats_password, 'haproxy_stats_password');
    // Every web host, at its private address and the port its own nginx listens on.
    const backends = tierMembers(hostsIn(v.web_group), varsOf, 'nginx_port');
    // acme: HTTP-01 answers are `<token>.<thumbprint>`, made by HAProxy itself from the request's path.
    const acmeSite = v.tls_mode === 'acme' ? (prepared as AcmeSite | undefined) : undefined;
    const acme = v.tls_mode === 'acme' ? { thumbprint: accountThumbprint(secretVar(v.acme_account_key, 'acme_account_key').reveal()), tokenPath: ACME_TOKEN_PATTERN } : null;
    const tls = v.tls_mode === 'off' ? null : { pem: TLS_PEM_PATH, port: v.haproxy_tls_port, hstsMaxAge: v.tls_hsts_max_age, acme };
    // Listing steps (--list-tasks) prepares nothing: the PEM's content is only read by a run.
    const material = prepared as TlsMaterial | undefined;
    const certificate: Step[] = v.tls_mode === 'acme'
      ? [
          file.directory({ path: TLS_PEM_DIR, owner: 'root', group: 'haproxy', mode: '0750' }),
          acmePlaceholderStep(acmeSite),
        ]
      : tls
      ? [
          file.directory({ path: TLS_PEM_DIR, owner: 'root', group: 'haproxy', mode: '0750' }),
          // Chain and key in one file, as `crt` reads them; HAProxy loads it before it drops root.
          // Validated by HAProxy itself before it replaces the live one; a new one is reloaded.
          file.content({
            dest: TLS_PEM_PATH,
            content: material?.pem ?? new Secret(''),
            owner: 'root',
            group: 'haproxy',
            mode: '0640',
            secret: true,
            validate: PEM_VALIDATE,
            notify: ['reload haproxy'],
          }),
        ]
      : [];
    return [
      // The backend lb does not hold the VIP, yet must bind it to be ready for a failover.
      sysctl.value('net.ipv4.ip_nonlocal_bind', 1),
      // Debian starts HAProxy on install with its default config (no listener): harmless.
      pkg.installed(['haproxy']),
      ...certificate,
      file.template({
        src: 'haproxy.cfg.ejs',
        dest: '/etc/haproxy/haproxy.cfg',
        // Holds the stats password: readable by root and the haproxy group only, never in a diff.
        owner: 'root',
        group: 'haproxy',
        mode: '0640',
        secret: true,
        vars: { quote: haproxyQuote, backends, tls },
        validate: 'haproxy -c -q -f %s',
        notify: ['reload haproxy'],
      }),
      service.running('haproxy', { enabled: true }),
      // Once the config that answers challenges is in place: the ACME certificate replaces the placeholder.
      ...(acme ? [acmeCertificateStep(acmeSite, v.tls_domains, v.tls_renew_before_days)] : []),
    ];
  },
  handlers: () => ({ 'reload haproxy': service.reloaded('haproxy') }),
  // HAProxy logs to syslog (/dev/log): journald files it under the unit; without systemd, Debian's
  // rsyslog rule for haproxy writes it to this file.
  logs: () => [{ unit: 'haproxy', files: ['/var/log/haproxy.log'] }],
  validate: (inventory, hosts, ctx) => validateHaproxy(inventory, hosts, ctx),
});
