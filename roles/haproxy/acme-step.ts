// The step of `tls_mode: acme` on each load balancer, once haproxy.cfg (which answers the challenges)
// is in place: reads the certificate the host serves (its public blocks only, never the key) and,
// when it must be replaced, installs the site's ACME certificate — the cached one, or one issued now.
// A host whose certificate is good costs the ACME server nothing.
import { file, quote, service, type Change, type Step } from 'scaleup';
import { type AcmeSite, certificateBlocks, replaceReason } from './acme.ts';
import { PEM_VALIDATE, TLS_PEM_PATH } from './tls.ts';

export function acmeCertificateStep(site: AcmeSite | undefined, domains: string[], renewBeforeDays: number): Step {
  const q = quote(TLS_PEM_PATH);
  return {
    name: `acme certificate ${TLS_PEM_PATH}`,
    notify: ['reload haproxy'],
    // Only the certificate blocks leave the host: the key in the same file stays there.
    probe: () => `if [ -f ${q} ]; then sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' ${q}; fi`,
    decide: (out): Change[] => {
      const hostCert = certificateBlocks(out.stdout) || undefined;
      const reason = replaceReason(hostCert, domains, renewBeforeDays, new Date());
      if (!reason) return [];
      const fromCache = site?.cached() !== undefined;
      return [{ summary: fromCache ? `install the certificate issued earlier (${reason})` : `issue a certificate for ${domains.join(', ')} (${reason})` }];
    },
    apply: async (remote, _changes, ctx) => {
      if (!site) throw new Error('tls_mode acme: the role was not prepared');
      // The new haproxy.cfg (which answers this account's challenges) goes live before the ACME
      // server is asked to validate: a graceful reload, as the handler does it.
      await service.reloaded('haproxy').apply(remote, [], ctx);
      const certificate = await site.certificate();
      // Written as any file: staged, loaded by HAProxy itself, renamed over the live one.
      const write = file.content({ dest: TLS_PEM_PATH, content: certificate.pem, owner: 'root', group: 'haproxy', mode: '0640', secret: true, validate: PEM_VALIDATE });
      await write.apply(remote, [], ctx);
    },
  };
}

/**
 * A first run's stand-in: HAProxy's TLS bind needs a certificate file before haproxy.cfg can pass
 * `haproxy -c`, and the ACME one can only be issued once that config answers challenges. Written only
 * where the host has no PEM at all; the ACME step replaces it in the same run.
 */
export function acmePlaceholderStep(site: AcmeSite | undefined): Step {
  const q = quote(TLS_PEM_PATH);
  return {
    name: `acme placeholder ${TLS_PEM_PATH}`,
    paths: [TLS_PEM_PATH],
    probe: () => `if [ -e ${q} ] || [ -L ${q} ]; then echo present; fi`,
    decide: (out): Change[] => (out.stdout.trim() === 'present' ? [] : [{ summary: 'self-signed placeholder until the ACME certificate is installed' }]),
    apply: async (remote, _changes, ctx) => {
      if (!site) throw new Error('tls_mode acme: the role was not prepared');
      const write = file.content({ dest: TLS_PEM_PATH, content: site.placeholder, owner: 'root', group: 'haproxy', mode: '0640', secret: true, validate: PEM_VALIDATE });
      await write.apply(remote, [], ctx);
    },
  };
}
