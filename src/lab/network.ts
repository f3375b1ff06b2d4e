// The lab network: one bridge in the root namespace holding the lab subnet's .1, and per host a network
// namespace joined to it by a veth pair. No default route and no forwarding: a host reaches the other
// hosts and the control machine (.1), nothing else.
import { readdir, readFile } from 'node:fs/promises';
import {
  BRIDGE_ADDRESS,
  BRIDGE_NAME,
  LAB_PREFIX_LENGTH,
  VIP,
  isLabNetns,
  isLabVeth,
  macAddress,
  netnsName,
  vethName,
  type LabHost,
} from './addresses.ts';
import { run } from './exec.ts';
import { mountsUnder } from './fs-util.ts';

const ip = (...args: string[]) => run('ip', args);

async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name], { allowFail: true })).code === 0;
}

export async function ensureBridge(): Promise<void> {
  if (!(await linkExists(BRIDGE_NAME))) {
    await ip('link', 'add', 'name', BRIDGE_NAME, 'type', 'bridge');
  }
  await ip('addr', 'replace', `${BRIDGE_ADDRESS}/${LAB_PREFIX_LENGTH}`, 'dev', BRIDGE_NAME);
  await ip('link', 'set', 'dev', BRIDGE_NAME, 'up');
}

/** Creates the host's namespace with `lo` up and `eth0` at its address; removes a stale one first. */
export async function createHostNetwork(host: LabHost): Promise<void> {
  await removeHostNetwork(host);
  const ns = netnsName(host);
  const veth = vethName(host);
  await ip('netns', 'add', ns);
  await ip('link', 'add', 'name', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'address', macAddress(host), 'netns', ns);
  await ip('link', 'set', 'dev', veth, 'master', BRIDGE_NAME, 'up');
  await ip('-n', ns, 'link', 'set', 'dev', 'lo', 'up');
  await ip('-n', ns, 'addr', 'add', `${host.address}/${LAB_PREFIX_LENGTH}`, 'dev', 'eth0');
  await ip('-n', ns, 'link', 'set', 'dev', 'eth0', 'up');
}

/** Deletes the host's namespace and veth if present (deleting either end of a veth removes both). */
export async function removeHostNetwork(host: LabHost): Promise<void> {
  await run('ip', ['netns', 'delete', netnsName(host)], { allowFail: true });
  if (await linkExists(vethName(host))) await run('ip', ['link', 'delete', 'dev', vethName(host)], { allowFail: true });
}

/** Lab namespaces present on the machine (found by name, for cleaning up after a crash). */
export async function labNetnsNames(): Promise<string[]> {
  const names = await readdir('/run/netns').catch(() => [] as string[]);
  return names.filter(isLabNetns);
}

/** Lab veths present in the root namespace. */
export async function labVethNames(): Promise<string[]> {
  const names = await readdir('/sys/class/net').catch(() => [] as string[]);
  return names.filter(isLabVeth);
}

/**
 * Removes the bridge, any lab namespace and veth still present, and `/run/netns` itself once it is empty:
 * `ip netns` mounts it on first use and leaves it mounted after the last delete.
 */
export async function removeLabNetwork(): Promise<void> {
  for (const ns of await labNetnsNames()) await run('ip', ['netns', 'delete', ns], { allowFail: true });
  for (const veth of await labVethNames()) await run('ip', ['link', 'delete', 'dev', veth], { allowFail: true });
  if (await linkExists(BRIDGE_NAME)) await run('ip', ['link', 'delete', 'dev', BRIDGE_NAME], { allowFail: true });
  await unmountNetnsDirIfEmpty();
}

export async function unmountNetnsDirIfEmpty(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const entries = await readdir('/run/netns').catch(() => null);
    if (entries === null || entries.length > 0) return;
    if (!(await mountsUnder('/run/netns')).includes('/run/netns')) return;
    await run('umount', ['/run/netns'], { allowFail: true });
  }
}

/** Whether the host's namespace has the VIP on any interface (what keepalived adds to the master). */
export async function holdsVip(host: LabHost): Promise<boolean> {
  const res = await run('ip', ['-n', netnsName(host), '-o', '-4', 'addr', 'show'], { allowFail: true });
  return res.code === 0 && res.stdout.split('\n').some((l) => l.includes(` ${VIP}/`));
}

/** The bridge exists (cheap check used by status). */
export async function bridgeExists(): Promise<boolean> {
  return (await readFile(`/sys/class/net/${BRIDGE_NAME}/operstate`, 'utf8').catch(() => null)) !== null;
}
