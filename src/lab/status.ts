// `provision lab status`: what runs, where, and who holds the VIP. The JSON form is a contract that
// tests and scripts read:
//   {"hosts":[{"name","address","init","up"}],"vip","vipHolder","sshKey","knownHosts","inventory",
//    "tls":{"domain","caFile","acmeDirectory","acmeCaFile","dnsServer"} or null}
import { VIP, labHost } from './addresses.ts';
import { hostRunning } from './host-launch.ts';
import { holdsVip } from './network.ts';
import { isRunning } from './processes.ts';
import type { LabPaths } from './paths.ts';
import type { InitFlavor } from './recipe.ts';
import { readState } from './state.ts';

export interface LabHostStatus {
  name: string;
  address: string;
  init: InitFlavor;
  up: boolean;
}

/** The lab's ACME server and what a client needs to check the site's certificate. */
export interface LabTlsStatus {
  /** The site's name; pebble's DNS answers it with the VIP. */
  domain: string;
  /** pebble's issuing root: the PEM file the site's certificate chains to (`curl --cacert`). */
  caFile: string;
  /** The ACME directory URL (`acme_directory_url`). */
  acmeDirectory: string;
  /** The CA that signs the ACME server's own HTTPS (`acme_ca_file`). */
  acmeCaFile: string;
  /** The DNS server pebble's validation asks (`ADDRESS:PORT`). */
  dnsServer: string;
}

export interface LabStatus {
  hosts: LabHostStatus[];
  vip: string;
  /** The host whose network namespace has the VIP on an interface, or null. */
  vipHolder: string | null;
  sshKey: string;
  knownHosts: string;
  inventory: string;
  /** Null when the lab has no ACME server (none running, or started before the lab had one). */
  tls: LabTlsStatus | null;
}

/** A lab is up when it has hosts and every one of them runs. */
export function labIsUp(status: LabStatus): boolean {
  return status.hosts.length > 0 && status.hosts.every((h) => h.up);
}

export async function labStatus(paths: LabPaths): Promise<LabStatus> {
  const state = await readState(paths);
  if (!state) {
    return {
      hosts: [],
      vip: VIP,
      vipHolder: null,
      sshKey: paths.sshKey,
      knownHosts: paths.knownHosts,
      inventory: paths.inventory,
      tls: null,
    };
  }
  const hosts = state.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    init: state.init,
    up: h.process !== undefined && hostRunning(h.process),
  }));
  let vipHolder: string | null = null;
  for (const h of hosts) {
    if (h.up && (await holdsVip(labHost(h.name)))) {
      vipHolder = h.name;
      break;
    }
  }
  const acme = state.acme;
  const tls = acme && isRunning(acme.pebble) && isRunning(acme.dnsServer)
    ? { domain: acme.domain, caFile: acme.caFile, acmeDirectory: acme.directoryUrl, acmeCaFile: acme.acmeCaFile, dnsServer: acme.dnsAddress }
    : null;
  return { hosts, vip: VIP, vipHolder, sshKey: state.sshKey, knownHosts: state.knownHosts, inventory: state.inventory, tls };
}
