// scaleup as the ACME client (RFC 8555): one order for all the site's names, HTTP-01 challenges
// answered through the caller's callbacks, a fresh certificate key per issuance. The signing, nonces
// and JWS are acme-client's; this module decides the order of things, whom to trust, and what a failure
// says. How a challenge answer reaches the hosts that serve it is the caller's business.
import type { Agent } from 'node:https';
import type { Client } from 'acme-client';
import { ScaleupError } from '../core/errors.ts';
import { safeHostLine } from '../core/host-text.ts';
import { Secret } from '../core/secret.ts';
import { acmeServerAgent, probeDirectory, unreachable } from './acme-directory.ts';
import { instrumentClient, type AcmeTransport } from './acme-transport.ts';
import { AcmeError, describeProblem } from './errors.ts';
import { certificateNotAfter } from './needs-issue.ts';

export interface IssueRequest {
  /** The ACME server's directory, e.g. `https://acme-v02.example/directory`. */
  directoryUrl: string;
  /** PEM bundle trusted for the ACME server's HTTPS, for this issuance only (a private ACME server). */
  caFile?: string;
  /** The account's contact (`mailto:`). */
  email: string;
  /** The account key (PEM; from the vault). The account is registered on first use, found again after. */
  accountKeyPem: string | Secret;
  /** The names the certificate covers; the first is its subject. */
  domains: readonly string[];
  /** Make `http://DOMAIN/.well-known/acme-challenge/TOKEN` answer `keyAuthorization` (text/plain). */
  publishChallenge(token: string, keyAuthorization: string): Promise<void>;
  /** Stop answering for `token` (called after the server has decided, whatever it decided). */
  removeChallenge(token: string): Promise<void>;
  /** How long to wait between polls of a pending challenge or order: [first, longest] in ms. */
  pollMs?: [number, number];
}

export interface IssuedCertificate {
  /** The leaf certificate first, then the chain the server sent (PEM). */
  certPem: string;
  /** The certificate's private key (PEM), new for every issuance. */
  keyPem: Secret;
  notAfter: Date;
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A new key for an ACME account (ECDSA P-256), as a Secret to store in the vault. */
export async function createAcmeAccountKey(): Promise<Secret> {
  const acme = (await import('acme-client')).default;
  return new Secret((await acme.crypto.createPrivateEcdsaKey('P-256')).toString('utf8'));
}

/** Checks what can be checked before any traffic: names, contact, URL. */
export function checkIssueRequest(req: Pick<IssueRequest, 'directoryUrl' | 'email' | 'domains'>): void {
  let url: URL;
  try {
    url = new URL(req.directoryUrl);
  } catch {
    throw new AcmeError(req.directoryUrl, 'the directory URL is not a URL');
  }
  if (url.protocol !== 'https:') throw new AcmeError(req.directoryUrl, 'the directory URL must be https:// (RFC 8555 §6.1)');
  if (!/^[^@\s:]+@[^@\s]+\.[^@\s]+$/.test(req.email)) {
    throw new AcmeError(req.directoryUrl, `the account contact '${safeHostLine(req.email)}' is not an email address`);
  }
  if (req.domains.length === 0) throw new AcmeError(req.directoryUrl, 'no domain to issue a certificate for');
  for (const d of req.domains) {
    if (d.startsWith('*.')) {
      throw new AcmeError(req.directoryUrl, `'${safeHostLine(d)}': a wildcard name needs a DNS-01 challenge; scaleup answers HTTP-01 only`);
    }
    if (!DNS_NAME.test(d)) throw new AcmeError(req.directoryUrl, `'${safeHostLine(d)}' is not a DNS name`);
  }
}

/**
 * Issues one certificate for `domains` from the ACME server at `directoryUrl`. Registers the account
 * (or finds it: the same key is the same account), places the order, answers each pending HTTP-01
 * challenge through `publishChallenge`, finalizes with a CSR for a new P-256 key, and downloads the chain.
 * Throws AcmeError (server unreachable or untrusted, a problem the server reported) and whatever the
 * callbacks throw.
 */
export async function issueCertificate(req: IssueRequest): Promise<IssuedCertificate> {
  checkIssueRequest(req);
  const { directoryUrl } = req;
  const agent = await acmeServerAgent(directoryUrl, req.caFile);
  try {
    await probeDirectory(directoryUrl, agent, req.caFile);
    return await runOrder(req, agent);
  } finally {
    agent?.destroy();
  }
}

async function runOrder(req: IssueRequest, agent: Agent | undefined): Promise<IssuedCertificate> {
  const acme = (await import('acme-client')).default;
  const { directoryUrl } = req;
  const [pollMin, pollMax] = req.pollMs ?? [1_000, 10_000];
  const accountKey = req.accountKeyPem instanceof Secret ? req.accountKeyPem.reveal() : req.accountKeyPem;
  let client: Client;
  try {
    client = new acme.Client({ directoryUrl, accountKey, backoffAttempts: 12, backoffMin: pollMin, backoffMax: pollMax });
  } catch {
    // The message could quote the key; say only what is wrong with it.
    throw new AcmeError(directoryUrl, 'the account key is not a PEM private key');
  }
  const transport = instrumentClient(client, agent);
  const stage = staged(directoryUrl, transport, req.caFile);

  await stage('registering the account', () =>
    client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${req.email}`] }),
  );
  const order = await stage('placing the order', () =>
    client.createOrder({ identifiers: req.domains.map((value) => ({ type: 'dns', value })) }),
  );
  const authorizations = await stage('reading the authorizations', () => client.getAuthorizations(order));
  for (const authz of authorizations) {
    if (authz.status === 'valid') continue; // the account proved this name recently
    const name = authz.identifier.value;
    const challenge = authz.challenges.find((c) => c.type === 'http-01');
    if (!challenge) {
      const offered = authz.challenges.map((c) => safeHostLine(c.type)).join(', ');
      throw new AcmeError(directoryUrl, `no http-01 challenge offered for ${safeHostLine(name)} (offered: ${offered})`);
    }
    const keyAuthorization = await stage(`the challenge for ${name}`, () => client.getChallengeKeyAuthorization(challenge));
    await req.publishChallenge(challenge.token, keyAuthorization);
    let failure: unknown;
    try {
      await stage(`validating ${name}`, async () => {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      });
    } catch (e) {
      failure = e;
    }
    try {
      await req.removeChallenge(challenge.token);
    } catch (e) {
      failure ??= e;
    }
    if (failure !== undefined) throw failure;
  }

  const certKey = await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: req.domains[0], altNames: [...req.domains] }, certKey);
  const finalized = await stage('finalizing the order', () => client.finalizeOrder(order, csr));
  const certPem = await stage('downloading the certificate', () => client.getCertificate(finalized));
  let notAfter: Date;
  try {
    notAfter = certificateNotAfter(certPem);
  } catch {
    throw new AcmeError(directoryUrl, 'the server sent a certificate that cannot be read');
  }
  return { certPem, keyPem: new Secret(certKey.toString('utf8')), notAfter };
}

/** Runs one stage of the exchange; a failure becomes an AcmeError naming the stage and the server's problem. */
function staged(directoryUrl: string, transport: AcmeTransport, caFile: string | undefined) {
  return async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    transport.takeProblem();
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ScaleupError) throw e;
      const problem = transport.takeProblem();
      if (problem) throw new AcmeError(directoryUrl, `${safeHostLine(what)}: ${describeProblem(problem)}`, problem);
      if ((e as NodeJS.ErrnoException).code) {
        const reach = unreachable(directoryUrl, e, caFile);
        throw new AcmeError(directoryUrl, `${safeHostLine(what)}: ${reach.reason}`);
      }
      throw new AcmeError(directoryUrl, `${safeHostLine(what)}: ${safeHostLine((e as Error).message ?? String(e))}`);
    }
  };
}
