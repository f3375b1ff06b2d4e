// The shapes the engine passes around once YAML is loaded and validated.
import type { SourceLocation } from './errors.ts';
import type { Secret } from './secret.ts';

/** A variable value as it reaches a role: plain YAML data, or a Secret from the vault. */
export type VarValue = string | number | boolean | null | Secret | VarValue[] | { [key: string]: VarValue };
export type Vars = Record<string, VarValue>;

export interface Host {
  name: string;
  /** IP address or DNS name that SSH connects to. */
  address: string;
  /**
   * The address other hosts reach this host's services at: what configs, firewall rules and MySQL
   * grants name (inventory `private_address`, default `address`). Differs from `address` behind a
   * bastion or NAT, or when SSH goes to a DNS name.
   */
  privateAddress: string;
  port: number;
  user: string;
  /** Absolute path of the private key, if one is configured (else ssh-agent). */
  privateKey?: string;
  /** Run commands through `sudo -n` (implied false when the user already is the become user). */
  become: boolean;
  /** Whom `become` runs commands as (`sudo -u`); root when unset. */
  becomeUser?: string;
  /** `[user@]host[:port]` of a jump host the connection goes through (Ansible's ProxyJump). */
  proxyJump?: string;
  /** Groups this host belongs to, in inventory order. */
  groups: string[];
  /** Variables merged for this host: all < group (inventory order) < host. Role defaults sit below. */
  vars: Vars;
}

export interface Inventory {
  /** Absolute path of the inventory file. */
  file: string;
  hosts: Map<string, Host>;
  /** Group name → host names, in inventory order. */
  groups: Map<string, string[]>;
  /** Absolute path of the known_hosts file the run verifies host keys against. */
  knownHosts: string;
  /** Absolute path of the age-encrypted secrets file, if any. */
  secretsFile?: string;
  /** Which YAML shape the file was written in (set by loadInventory). */
  format?: 'native' | 'ansible';
  /**
   * What the person should know although the inventory is usable, one line each, already naming the
   * file and line: ansible_* variables that have no effect, group_vars/host_vars files for no group or host.
   */
  warnings?: string[];
  /**
   * The decrypted secrets by name, once merged (loadInventory / withSecrets): every value, even one a
   * plain variable overrides, so the runner can register them all with its Redactor.
   */
  secrets?: Record<string, Secret>;
  /**
   * Where a host, group or variable is defined, for messages that point at the file (e.g. a role's
   * validate). Field syntax (see src/core/inventory.ts): `hosts.lb-01`, `hosts.lb-01.vars.keepalived_priority`,
   * `hosts.lb-01.address`, `groups.lb`, `groups.lb.vars.NAME`, `vars.vip`, or any path in the file
   * (`groups.lb.hosts.lb-01.port`). Never throws: an unknown field gives `{ file, field }` without a line.
   * Present on inventories from loadInventory; use `locateField()` when the inventory may be hand-built.
   */
  locate?(field: string): SourceLocation;
}
