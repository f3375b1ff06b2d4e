// Where the running lab keeps what clients need (written by `provision lab up`).
import path from 'node:path';
import { packageRoot as projectRoot } from '../../src/package-root.ts';

export const labKey = path.join(projectRoot, '.lab', 'id_ed25519');
export const labKnownHosts = path.join(projectRoot, '.lab', 'known_hosts');
export const labInventory = path.join(projectRoot, 'inventory', 'lab.yml');
