import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root (where roles/, templates/ and playbooks/ live). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
