// `tls_mode: self-signed`: a private CA and a server certificate made on the control node with the
// `openssl` CLI, kept in the project's `.scaleup/tls/<site>/` (which `provision init`'s .gitignore
// leaves out of git): the folder is 0700 and every key 0600. Made again only when a file is missing,
// the certificate does not cover tls_domains, or it expires within tls_renew_before_days; otherwise
// the same bytes are read back, so a second run changes nothing on the hosts.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes, X509Certificate } from 'node:crypto';
import { StepError } from 'scaleup';
import { renewalReason } from './tls-certificate.ts';

const run = promisify(execFile);

/** Days the CA is valid; a server certificate is made for SERVER_DAYS (what browsers accept at most). */
const CA_DAYS = 3650;
const SERVER_DAYS = 397;

/** Where the CA and the site's certificate live in the project. */
export function selfSignedDir(projectRoot: string, site: string): string {
  return path.join(projectRoot, '.scaleup', 'tls', site);
}

export interface SelfSignedFiles {
  dir: string;
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export function selfSignedFiles(projectRoot: string, site: string): SelfSignedFiles {
  const dir = selfSignedDir(projectRoot, site);
  return { dir, caCert: path.join(dir, 'ca.crt'), caKey: path.join(dir, 'ca.key'), cert: path.join(dir, 'site.crt'), key: path.join(dir, 'site.key') };
}

export async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 60_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new StepError('tls_mode self-signed needs the openssl command on the control node (apt install openssl)');
    throw new StepError(`openssl ${args[0]} failed while making the self-signed certificate: ${String(e.stderr ?? e.message).trim().split('\n')[0]}`);
  }
}

/** Moves `name` from the scratch folder into `dir`, private when it is a key. */
function keep(scratch: string, dir: string, name: string, secret: boolean): void {
  const from = path.join(scratch, name);
  chmodSync(from, secret ? 0o600 : 0o644);
  renameSync(from, path.join(dir, name));
}

/** Whether the site certificate was signed by this CA (it is made again when the CA was). */
function signedBy(certPem: string, caPem: string): boolean {
  try {
    return new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

/**
 * The CA and the site certificate for `domains`, made when needed. Returns the files and what was
 * made (nothing when all could stay).
 */
export async function ensureSelfSigned(projectRoot: string, domains: string[], renewBeforeDays: number, now = new Date()): Promise<SelfSignedFiles & { made: string[] }> {
  const files = selfSignedFiles(projectRoot, domains[0]!);
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  chmodSync(files.dir, 0o700);
  const made: string[] = [];
  const scratch = mkdtempSync(path.join(files.dir, '.new-'));
  try {
    const caValid = existsSync(files.caCert) && existsSync(files.caKey) && renewalReason(readFileSync(files.caCert, 'utf8'), [], renewBeforeDays, now) === undefined;
    if (!caValid) {
      await openssl([
        'req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', 'ca.key', '-out', 'ca.crt', '-days', String(CA_DAYS), '-subj', `/CN=scaleup private CA for ${domains[0]}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ], scratch);
      keep(scratch, files.dir, 'ca.key', true);
      keep(scratch, files.dir, 'ca.crt', false);
      made.push('CA');
    }
    const siteValid = existsSync(files.cert) && existsSync(files.key) &&
      renewalReason(readFileSync(files.cert, 'utf8'), domains, renewBeforeDays, now) === undefined &&
      signedBy(readFileSync(files.cert, 'utf8'), readFileSync(files.caCert, 'utf8'));
    if (!siteValid) {
      writeFileSync(path.join(scratch, 'site.ext'), [
        `subjectAltName=${domains.map((d) => `DNS:${d}`).join(',')}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'));
      await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'site.key', '-out', 'site.csr', '-subj', `/CN=${domains[0]}`], scratch);
      await openssl([
        'x509', '-req', '-in', 'site.csr', '-CA', files.caCert, '-CAkey', files.caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
        '-days', String(SERVER_DAYS), '-sha256', '-extfile', 'site.ext', '-out', 'site.crt',
      ], scratch);
      keep(scratch, files.dir, 'site.key', true);
      keep(scratch, files.dir, 'site.crt', false);
      made.push('site certificate');
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  // Keys made by an earlier version, or copied in by hand, are made private too.
  chmodSync(files.caKey, 0o600);
  chmodSync(files.key, 0o600);
  return { ...files, made };
}
