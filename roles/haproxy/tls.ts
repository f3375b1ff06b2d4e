// TLS on the VIP: where the certificate comes from on the control node (the user's files, or the
// self-signed CA scaleup keeps), and the one PEM file (certificate chain + key) HAProxy loads on
// both load balancers.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readPrivateFile, Secret, type VarValue } from 'scaleup';
import { secretText } from '../lib/secret-value.ts';
import { ensureSelfSigned } from './self-signed.ts';

/** The certificate and key HAProxy serves, one file (`crt` takes the chain and the key together). */
export const TLS_PEM_DIR = '/etc/haproxy/certs';
export const TLS_PEM_PATH = `${TLS_PEM_DIR}/site.pem`;

/** What the role's preparation hands its steps: the PEM to install (a secret: it holds the key). */
export interface TlsMaterial {
  pem: Secret;
  /** The certificate chain alone (public), for messages and verify. */
  certPem: string;
  /** self-signed: the CA file a client trusts the site with. */
  caFile?: string;
  /** self-signed: what this run made (`CA`, `site certificate`), empty when all was kept. */
  made: string[];
}

/**
 * `validate` of the PEM before it replaces the live one: HAProxy itself loads it (`haproxy -c`) in a
 * config of its own, so a file that HAProxy would refuse (bad PEM, a key that is not the
 * certificate's) never reaches the config the service runs.
 */
export const PEM_VALIDATE = [
  'c=$(mktemp)',
  `{ echo defaults; echo ' mode http'; echo ' timeout connect 1s'; echo ' timeout client 1s'; echo ' timeout server 1s'; ` +
    `echo frontend pem-check; echo " bind 127.0.0.1:1 ssl crt "%s; } > "$c"`,
  'haproxy -c -q -f "$c"; r=$?; rm -f "$c"; exit $r',
].join('; ');

/** A file named by a variable, from the project root when relative. */
export function projectFile(projectRoot: string, file: string): string {
  return path.resolve(projectRoot, file);
}

/** One PEM text ending in a newline (HAProxy reads the blocks one after another). */
function block(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

export function combinedPem(certPem: string, keyPem: string): Secret {
  return new Secret(block(certPem) + block(keyPem));
}

/** The key of `files` mode: `tls_key` (a vault secret) when set, else the file `tls_key_file`. */
export function readKey(projectRoot: string, keyFile: string, key: VarValue | undefined): string {
  const inline = secretText(key);
  if (inline) return inline;
  const file = projectFile(projectRoot, keyFile);
  return readPrivateFile(file, (reason) => new Error(reason), keyFile).toString('utf8');
}

/** The inputs of a preparation, as its key: the same inputs are read once for every host. */
export function materialKey(parts: unknown[], key: VarValue | undefined): string {
  const inline = secretText(key);
  return JSON.stringify([...parts, inline ? createHash('sha256').update(inline).digest('hex') : '']);
}

/** `files` mode: the user's certificate chain and key (checked before connecting, in validate). */
export function filesMaterial(projectRoot: string, certFile: string, keyFile: string, key: VarValue | undefined): TlsMaterial {
  const certPem = readFileSync(projectFile(projectRoot, certFile), 'utf8');
  return { pem: combinedPem(certPem, readKey(projectRoot, keyFile, key)), certPem, made: [] };
}

/** `self-signed` mode: the certificate kept in the project, made first when needed. */
export async function selfSignedMaterial(projectRoot: string, domains: string[], renewBeforeDays: number): Promise<TlsMaterial> {
  const files = await ensureSelfSigned(projectRoot, domains, renewBeforeDays);
  const certPem = readFileSync(files.cert, 'utf8');
  const keyPem = readPrivateFile(files.key, (reason) => new Error(reason)).toString('utf8');
  return { pem: combinedPem(certPem, keyPem), certPem, caFile: files.caCert, made: files.made };
}
