// Changes the wizard makes to an existing native inventory, as pure text → text functions over the
// YAML document, so comments and layout the person wrote survive.
import { isMap, parseDocument, type Document } from 'yaml';
import { ScaleupError } from '../../core/errors.ts';

function parse(text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ScaleupError(`cannot edit the inventory: ${doc.errors[0]!.message}`);
  if (!isMap(doc.contents) || !doc.has('groups')) {
    throw new ScaleupError('the wizard edits scaleup-format inventories (with `groups:`); edit this one by hand');
  }
  return doc;
}

/** Adds `name: { address }` under `groups.<group>.hosts` (creating the group if needed). */
export function addHostToInventoryText(text: string, group: string, name: string, address: string): string {
  const doc = parse(text);
  let hosts = doc.getIn(['groups', group, 'hosts']);
  if (!isMap(hosts)) {
    doc.setIn(['groups', group, 'hosts'], doc.createNode({}));
    hosts = doc.getIn(['groups', group, 'hosts']);
  }
  if (!isMap(hosts)) throw new ScaleupError(`groups.${group}.hosts is not a map`);
  if (hosts.flow && hosts.items.length === 0) hosts.flow = false;
  const entry = doc.createNode({ address });
  entry.flow = true;
  hosts.add(doc.createPair(name, entry));
  return doc.toString({ lineWidth: 0 });
}

/** Sets a variable in the top-level `vars` (every host sees it, unless a group or host overrides it). */
export function setVarInInventoryText(text: string, name: string, value: string | number | boolean): string {
  const doc = parse(text);
  doc.setIn(['vars', name], value);
  return doc.toString({ lineWidth: 0 });
}

/** Top-level `vars` as written in the file. */
export function topLevelVars(text: string): Record<string, unknown> {
  const doc = parse(text);
  const vars = doc.get('vars');
  return isMap(vars) ? (vars.toJSON() as Record<string, unknown>) : {};
}

/**
 * Parses what a person typed for a variable the way YAML would read it in the file: `3000` is a
 * number, `true` a boolean, anything else a string.
 */
export function parseVarInput(text: string): string | number | boolean {
  if (/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}
