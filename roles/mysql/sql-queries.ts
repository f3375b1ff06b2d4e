// Every SQL probe of a batch in one client call (Step.shared): the client starts once per host rather
// than once per SQL step. Each query's rows follow a marker row carrying its index, in order.
import type { ProbeOutput, SharedProbe, SharedProbeKind } from 'scaleup';
import { queryCommand } from './sql.ts';

const MARKER = '__scaleup_sql_query';

const kinds = new Map<string, SharedProbeKind>();

/** One kind per client program (`mysql`, `mariadb`): each is one command. */
function kindFor(client: string): SharedProbeKind {
  let kind = kinds.get(client);
  if (!kind) {
    kind = {
      name: `sql queries (${client})`,
      command: (queries) => queryCommand(client, queries.map((q, i) => `SELECT '${MARKER} ${i}'; ${q.trim().replace(/;?$/, ';')}`).join(' ')),
      answer: (out: ProbeOutput, keys: string[], all: string[]) => sectionOf(out, all.indexOf(keys[0]!), all.length),
    };
    kinds.set(client, kind);
  }
  return kind;
}

/**
 * The rows of query `at`. The client stops at the first query that fails: the queries after it have
 * no section, and answer as a failed probe would (the step then reads its state itself). A marker out
 * of order (a row that prints one) refuses the whole answer the same way.
 */
export function sectionOf(out: ProbeOutput, at: number, count: number): ProbeOutput {
  const failed = { stdout: '', exitCode: out.exitCode || 1 };
  const sections: string[][] = [];
  for (const line of out.stdout.split('\n')) {
    const m = new RegExp(`^${MARKER} (\\d+)$`).exec(line);
    if (m) {
      if (Number(m[1]) !== sections.length || sections.length >= count) return failed;
      sections.push([]);
    } else if (line !== '' && sections.length) {
      sections.at(-1)!.push(line);
    } else if (line !== '') {
      return failed;
    }
  }
  const rows = sections[at];
  // A section cut short by the client's failure is not an answer either: only those before the last.
  if (!rows || (out.exitCode !== 0 && at === sections.length - 1)) return failed;
  return { stdout: rows.map((r) => `${r}\n`).join(''), exitCode: 0 };
}

/** A SQL step's probe, answered from the batch's one client call. */
export const sqlQuery = (client: string, query: string): SharedProbe => ({ kind: kindFor(client), keys: [query] });
