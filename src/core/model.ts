// The shapes the engine passes around once YAML is loaded and validated.
import type { Secret } from './secret.ts';

/** A variable value as it reaches a role: plain YAML data, or a Secret from the vault. */
export type VarValue = string | number | boolean | null | Secret | VarValue[] | { [key: string]: VarValue };
export type Vars = Record<string, VarValue>;

export interface Host {
  name: string;
  /** IP address or DNS name used to connect, and the host's private address for templates. */
  address: string;
  port: number;
  user: string;
  /** Absolute path of the private key, if one is configured (else ssh-agent). */
  privateKey?: string;
  /** Run commands through `sudo -n` (implied false for root). */
  become: boolean;
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
}
