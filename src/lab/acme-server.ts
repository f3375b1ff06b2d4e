// The lab's ACME server: Let's Encrypt's test server pebble, with pebble-challtestsrv as the DNS server
// pebble's validation asks. challtestsrv answers the site's name (and any other) with the site's address
// (the VIP), so an HTTP-01 validation really connects to VIP:80 as a public CA's would to a public site.
// Both run on the control machine, bound to one address (the bridge's, in the lab), started detached
// and known by (pid, start time) so that teardown stops exactly them. Each is also written to
// `processes.json` in the server's directory the moment it starts, so a `lab up` killed before it saved
// the state, or a lost state file, still leaves teardown what it needs.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BRIDGE_ADDRESS, VIP } from './addresses.ts';
import { makeAcmeServerTls } from './acme-server-tls.ts';
import { LabError } from './errors.ts';
import { removeTree } from './fs-util.ts';
import type { LabPaths } from './paths.ts';
import { isRunning, processId, signal, sleep, waitGone, type ProcessId } from './processes.ts';

/** The name the lab's site is issued a certificate for. */
export const LAB_TLS_DOMAIN = 'lab.scaleup.test';

export interface AcmeServerPorts {
  /** pebble's ACME API (HTTPS): the directory is `https://ADDRESS:acme/dir`. */
  acme: number;
  /** pebble's management API (HTTPS): `/roots/0` is the root its certificates chain to. */
  management: number;
  /** challtestsrv's DNS server (UDP and TCP). */
  dns: number;
  /** challtestsrv's management API (plain HTTP). */
  dnsManagement: number;
}

export interface AcmeServerSpec {
  /** Holds the server's TLS files, config, logs and the root; created, and removed by stop. */
  dir: string;
  /** The address both servers listen on. */
  address: string;
  ports: AcmeServerPorts;
  /** The site's name, answered with `siteAddress` (so is every other name). */
  domain: string;
  siteAddress: string;
  /** Where pebble's validation connects: HTTP-01 (80 for a real site) and TLS-ALPN-01. */
  httpChallengePort: number;
  tlsChallengePort: number;
}

/** A running ACME server, as the lab state records it. */
export interface AcmeServerRecord {
  pebble: ProcessId;
  dnsServer: ProcessId;
  dir: string;
  domain: string;
  directoryUrl: string;
  /** The CA that signs pebble's own HTTPS certificate. */
  acmeCaFile: string;
  /** pebble's issuing root (from its management API): what an issued certificate chains to. */
  caFile: string;
  /** challtestsrv's DNS server, `ADDRESS:PORT`. */
  dnsAddress: string;
}

const READY_TIMEOUT_MS = 60_000;
const PROCESSES_FILE = 'processes.json';
const STOP_GRACE_MS = 5_000;

/** The lab's ACME server: on the bridge address, resolving the lab site's name to the VIP. */
export function labAcmeServerSpec(paths: LabPaths): AcmeServerSpec {
  return {
    dir: join(paths.run, 'acme'),
    address: BRIDGE_ADDRESS,
    ports: { acme: 14000, management: 15000, dns: 8053, dnsManagement: 8055 },
    domain: LAB_TLS_DOMAIN,
    siteAddress: VIP,
    httpChallengePort: 80,
    tlsChallengePort: 443,
  };
}

/** Starts challtestsrv then pebble; returns once pebble's directory answers and its root is saved. */
export async function startAcmeServer(spec: AcmeServerSpec): Promise<AcmeServerRecord> {
  // Readable by all: the CA files are what any client of the lab trusts; openssl writes the keys 0600.
  await mkdir(spec.dir, { recursive: true, mode: 0o755 });
  const tls = await makeAcmeServerTls(spec.dir, spec.address);
  const { address, ports } = spec;
  const configFile = join(spec.dir, 'pebble-config.json');
  await writeFile(configFile, `${JSON.stringify({
    pebble: {
      listenAddress: `${address}:${ports.acme}`,
      managementListenAddress: `${address}:${ports.management}`,
      certificate: tls.certFile,
      privateKey: tls.keyFile,
      httpPort: spec.httpChallengePort,
      tlsPort: spec.tlsChallengePort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
    },
  }, null, 2)}\n`);

  const started: ProcessId[] = [];
  const remember = async (p: ProcessId) => {
    started.push(p);
    await writeFile(join(spec.dir, PROCESSES_FILE), `${JSON.stringify(started)}\n`);
  };
  try {
    // No challenge servers of its own: only its DNS (the site answers its challenges itself).
    const dnsServer = launch(spec.dir, 'challtestsrv', 'pebble-challtestsrv', [
      '-defaultIPv4', spec.siteAddress, '-defaultIPv6', '',
      '-dns01', `${address}:${ports.dns}`, '-management', `${address}:${ports.dnsManagement}`,
      '-http01', '', '-https01', '', '-tlsalpn01', '',
    ], {});
    await remember(dnsServer);
    await waitUntil('pebble-challtestsrv', spec.dir, 'challtestsrv', dnsServer, () => tcpOpen(address, ports.dnsManagement));
    await postJson(`http://${address}:${ports.dnsManagement}/add-a`, { host: spec.domain, addresses: [spec.siteAddress] });

    const pebble = launch(spec.dir, 'pebble', 'pebble', ['-config', configFile, '-dnsserver', `${address}:${ports.dns}`], {
      // No random 0–15 s sleep before each validation; no nonce rejected on purpose (a client must cope
      // with badNonce, but a lab run should not pay for it).
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: '0',
    });
    await remember(pebble);
    const ca = await readFile(tls.caFile, 'utf8');
    const directoryUrl = `https://${address}:${ports.acme}/dir`;
    await waitUntil('pebble', spec.dir, 'pebble', pebble, async () => (await httpsText(directoryUrl, ca).catch(() => null))?.status === 200);
    const root = await httpsText(`https://${address}:${ports.management}/roots/0`, ca);
    if (root.status !== 200 || !root.body.includes('BEGIN CERTIFICATE')) {
      throw new LabError(`pebble's management API gave no root certificate (HTTP ${root.status})`);
    }
    const caFile = join(spec.dir, 'root.pem');
    await writeFile(caFile, root.body);
    return {
      pebble,
      dnsServer,
      dir: spec.dir,
      domain: spec.domain,
      directoryUrl,
      acmeCaFile: tls.caFile,
      caFile,
      dnsAddress: `${address}:${ports.dns}`,
    };
  } catch (e) {
    await stopProcesses(started);
    throw e;
  }
}

/**
 * Stops the ACME server's processes, those of `record` and those its directory lists (each only while it
 * is still the process that was started), then removes its files. Safe to repeat.
 */
export async function stopAcmeServer(record: AcmeServerRecord | undefined, dir: string): Promise<void> {
  const listed = await readFile(join(dir, PROCESSES_FILE), 'utf8')
    .then((text) => (JSON.parse(text) as ProcessId[]).filter((p) => Number.isInteger(p?.pid) && Number.isInteger(p?.start)))
    .catch(() => [] as ProcessId[]);
  await stopProcesses([...(record ? [record.pebble, record.dnsServer] : []), ...listed]);
  await removeTree(dir);
}

async function stopProcesses(ids: ProcessId[]): Promise<void> {
  const running = ids.filter(isRunning);
  for (const p of running) signal(p.pid, 'SIGTERM');
  const left = await waitGone(running, STOP_GRACE_MS);
  for (const p of left) if (isRunning(p)) signal(p.pid, 'SIGKILL');
  await waitGone(left, STOP_GRACE_MS);
}

function launch(dir: string, logName: string, cmd: string, args: string[], env: Record<string, string>): ProcessId {
  const log = openSync(join(dir, `${logName}.log`), 'a');
  let child;
  try {
    child = spawn(cmd, args, {
      cwd: dir,
      detached: true,
      stdio: ['ignore', log, log],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env },
    });
  } finally {
    closeSync(log);
  }
  // A missing binary is reported through 'error', after spawn returns: keep it from crashing the process.
  child.on('error', () => undefined);
  child.unref();
  const id = child.pid === undefined ? null : processId(child.pid);
  if (!id) throw new LabError(`${cmd} did not start (is the Debian package pebble installed?)`);
  return id;
}

async function waitUntil(what: string, dir: string, logName: string, proc: ProcessId, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (await ready()) return;
    if (!isRunning(proc)) throw new LabError(`${what} exited at start`, await logTail(dir, logName));
    if (Date.now() > deadline) throw new LabError(`${what} did not answer in ${READY_TIMEOUT_MS / 1000} s`, await logTail(dir, logName));
    await sleep(100);
  }
}

async function logTail(dir: string, logName: string): Promise<string> {
  const text = await readFile(join(dir, `${logName}.log`), 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-15).join('\n');
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function postJson(url: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new LabError(`POST ${url}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', (e) => reject(new LabError(`POST ${url}: ${e.message}`)));
    req.end(JSON.stringify(body));
  });
}

/** GET over HTTPS trusting only `ca`. */
export function httpsText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca, timeout: 10_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
  });
}
