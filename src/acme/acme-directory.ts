// Reaching the ACME server before anything is signed: one GET of its directory, with the trust given
// for it. A server that is down, untrusted or not an ACME server fails here at once, with words a
// person can act on, instead of after the HTTP client's retries (which wait more than a minute).
import { readFile } from 'node:fs/promises';
import { Agent, get } from 'node:https';
import { safeHostLine } from '../core/host-text.ts';
import { AcmeError } from './errors.ts';

const PROBE_TIMEOUT_MS = 30_000;

/** Node's TLS error codes that mean "the server's certificate is not trusted for this name". */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * An agent that trusts exactly the CAs in `caFile` (PEM) for the ACME server, or undefined (the system's
 * trust store) when no file is given. Used for this client's requests only.
 */
export async function acmeServerAgent(directoryUrl: string, caFile: string | undefined): Promise<Agent | undefined> {
  if (caFile === undefined) return undefined;
  let ca: string;
  try {
    ca = await readFile(caFile, 'utf8');
  } catch (e) {
    throw new AcmeError(directoryUrl, `cannot read the CA file ${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AcmeError(directoryUrl, `the CA file ${caFile} holds no PEM certificate`);
  }
  return new Agent({ ca, keepAlive: false });
}

/** The failure to reach `directoryUrl`, in words (network or TLS trust). */
export function unreachable(directoryUrl: string, e: unknown, caFile: string | undefined): AcmeError {
  const code = (e as NodeJS.ErrnoException).code;
  const message = safeHostLine((e as Error).message ?? String(e));
  if (code && UNTRUSTED.has(code)) {
    const hint = caFile
      ? `it is not signed by a CA in ${caFile}`
      : 'give the CA that signs a private ACME server (acme_ca_file)';
    return new AcmeError(directoryUrl, `its HTTPS certificate is not trusted (${code}: ${message}); ${hint}`);
  }
  return new AcmeError(directoryUrl, `cannot be reached (${code ? `${code}: ` : ''}${message})`);
}

/** GETs the directory and checks it names the resources an issuance needs. */
export async function probeDirectory(directoryUrl: string, agent: Agent | undefined, caFile: string | undefined): Promise<void> {
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = get(directoryUrl, { agent: agent ?? undefined, timeout: PROBE_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // A directory is a few hundred bytes; anything huge is not one.
        if (size > 1_000_000) req.destroy(new Error('answer larger than 1 MB'));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${PROBE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  }).catch((e: unknown) => {
    throw unreachable(directoryUrl, e, caFile);
  });
  if (status !== 200) throw new AcmeError(directoryUrl, `the directory answered HTTP ${status}, not 200`);
  let dir: Record<string, unknown>;
  try {
    dir = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new AcmeError(directoryUrl, 'the directory is not JSON: is this an ACME directory URL?');
  }
  const missing = ['newNonce', 'newAccount', 'newOrder'].filter((k) => typeof dir?.[k] !== 'string');
  if (missing.length) throw new AcmeError(directoryUrl, `not an ACME directory (no ${missing.join(', ')})`);
}
