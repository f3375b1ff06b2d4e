// pebble serves its ACME API over HTTPS only, and Debian's package ships no test certificate: the lab
// makes a throwaway CA and a server certificate for the address pebble listens on, with openssl, in
// the ACME server's runtime directory. Clients trust that CA for the ACME server alone (acmeCaFile).
import { chmod, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { run } from './exec.ts';

export interface AcmeServerTls {
  /** The CA that signed the server certificate: what a client trusts the ACME server's HTTPS with. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** Writes the CA, and a certificate and key for a server reached at `address`, into `dir` (keys 0600). */
export async function makeAcmeServerTls(dir: string, address: string): Promise<AcmeServerTls> {
  const caFile = join(dir, 'https-ca.pem');
  const caKey = join(dir, 'https-ca.key');
  const certFile = join(dir, 'https-server.pem');
  const keyFile = join(dir, 'https-server.key');
  const csr = join(dir, 'https-server.csr');
  const ext = join(dir, 'https-server.ext');
  const san = isIP(address) ? `IP:${address}` : `DNS:${address}`;
  // Valid for a month: a lab lives for hours; every `lab up` makes a new one.
  await run('openssl', ['req', '-x509', ...EC_KEY, '-keyout', caKey, '-out', caFile, '-days', '30',
    '-subj', '/CN=scaleup lab ACME server CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', '-new', ...EC_KEY, '-keyout', keyFile, '-out', csr, '-subj', '/CN=scaleup lab ACME server']);
  await writeFile(ext, `subjectAltName=${san},DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n`);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial',
    '-out', certFile, '-days', '30', '-extfile', ext]);
  // openssl writes keys 0600 already; say so rather than rely on it.
  for (const key of [caKey, keyFile]) await chmod(key, 0o600);
  return { caFile, certFile, keyFile };
}
