// Every SQL probe of a batch answered from one client call: each step gets its own query's rows.
import { describe, expect, it } from 'vitest';
import { probeBatch } from '../../src/core/probe-batch.ts';
import { sectionOf, sqlQuery } from '../../roles/mysql/sql-queries.ts';

describe('SQL probes sharing one client call', () => {
  it('one mysql command for all queries, each answered with its own rows', () => {
    const a = sqlQuery('mysql', "SELECT 'a';");
    const b = sqlQuery('mysql', "SELECT 'b';");
    const batch = probeBatch([{ probe: 'own a', shared: a }, { probe: 'own b', shared: b }]);
    expect(batch.script.match(/mysql -N -B/g)).toHaveLength(1);
    const out = { stdout: '__scaleup_sql_query 0\na\n__scaleup_sql_query 1\nb\tc\n', exitCode: 0 };
    const all = ["SELECT 'a';", "SELECT 'b';"];
    expect(a.kind.answer(out, a.keys, all)).toEqual({ stdout: 'a\n', exitCode: 0 });
    expect(b.kind.answer(out, b.keys, all)).toEqual({ stdout: 'b\tc\n', exitCode: 0 });
  });

  it('queries the client never reached, or the one it failed on, answer as a failed probe', () => {
    const out = { stdout: '__scaleup_sql_query 0\na\n__scaleup_sql_query 1\n', exitCode: 1 };
    expect(sectionOf(out, 0, 3)).toEqual({ stdout: 'a\n', exitCode: 0 });
    expect(sectionOf(out, 1, 3).exitCode).not.toBe(0);
    expect(sectionOf(out, 2, 3).exitCode).not.toBe(0);
    expect(sectionOf({ stdout: '', exitCode: 1 }, 0, 1).exitCode).not.toBe(0);
  });

  it('a row that prints a marker out of order refuses the whole answer', () => {
    const forged = { stdout: '__scaleup_sql_query 0\n__scaleup_sql_query 0\n__scaleup_sql_query 1\n', exitCode: 0 };
    expect(sectionOf(forged, 1, 2).exitCode).not.toBe(0);
  });
});
