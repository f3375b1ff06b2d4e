// The mysql role's SQL: quoting helpers, and the SQL steps deciding from probe output recorded on
// MariaDB 10.11 (Debian 12) in a drifted and in a converged state.
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.ts';
import { mysqlAppUsers, mysqlDatabase, mysqlSecureInstallation, type SqlChange } from '../../roles/mysql/sql-steps.ts';
import {
  grantDatabasePattern,
  nativePasswordHash,
  parseBatch,
  sqlAccount,
  sqlIdent,
  sqlString,
  storedHashDigest,
} from '../../roles/mysql/sql.ts';
import { recordingRemote } from './roles-fixtures.ts';

describe('sqlString', () => {
  it('quotes plain text', () => {
    expect(sqlString('app')).toBe("'app'");
    expect(sqlString('')).toBe("''");
  });

  it('doubles quotes and escapes backslashes, so no value can end the literal', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString("\\'; DROP DATABASE x; --")).toBe("'\\\\''; DROP DATABASE x; --'");
    expect(sqlString("''")).toBe("''''''");
  });

  it('escapes NUL, newlines and ^Z', () => {
    expect(sqlString('a\0b\nc\rd\x1ae')).toBe("'a\\0b\\nc\\rd\\Ze'");
  });

  it('leaves other characters alone', () => {
    expect(sqlString('p@ss "w0rd" $HOME `x` %_')).toBe("'p@ss \"w0rd\" $HOME `x` %_'");
  });
});

describe('identifiers and accounts', () => {
  it('backtick-quotes identifiers, doubling backticks', () => {
    expect(sqlIdent('scaleup')).toBe('`scaleup`');
    expect(sqlIdent('we`ird')).toBe('`we``ird`');
  });

  it('writes accounts as two literals', () => {
    expect(sqlAccount('app', '10.77.0.31')).toBe("'app'@'10.77.0.31'");
    expect(sqlAccount('', 'localhost')).toBe("''@'localhost'");
  });

  it('escapes GRANT wildcards in database names', () => {
    expect(grantDatabasePattern('scaleup')).toBe('scaleup');
    expect(grantDatabasePattern('scale_up')).toBe('scale\\_up');
    expect(grantDatabasePattern('a%b')).toBe('a\\%b');
  });
});

describe('password hashes', () => {
  it('computes mysql_native_password like the server (PASSWORD() on MariaDB 10.11)', () => {
    // SELECT PASSWORD('p''w\\x') on MariaDB 10.11 printed this value.
    expect(nativePasswordHash("p'w\\x")).toBe('*66F936ECC01641848C0263A8BAE23670D420FB87');
  });

  it('compares digests of the stored hash, never the hash itself', () => {
    const digest = storedHashDigest('app-secret-1');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).toBe('acc1469b4bd739a7c5d887f7dee8a776ea4ca971296dedb1bf3912d20bdad3f5');
  });
});

describe('parseBatch', () => {
  it('splits rows and fields and undoes the batch escapes', () => {
    expect(parseBatch('a\tb\nscale\\\\_up\tx\\ty\\nz\n')).toEqual([
      ['a', 'b'],
      ['scale\\_up', 'x\ty\nz'],
    ]);
    expect(parseBatch('')).toEqual([]);
  });
});

// Probe outputs recorded on MariaDB 10.11: anonymous user, remote root, test database, a latin1 app
// database, an app user with an old password and partial grants, and a stale app host with PROCESS.
const drifted = {
  secure: 'anonymous\tlocalhost\nremote-root\t%\ntest-db\ttest\n',
  database: 'latin1\tlatin1_swedish_ci\n',
  users:
    'user\t10.77.0.31\tmysql_native_password\td9e68f9c205358499d49e263646597568c0da5b4effebbba101a8fda54a80857\n' +
    'user\t10.77.0.99\tmysql_native_password\tacc1469b4bd739a7c5d887f7dee8a776ea4ca971296dedb1bf3912d20bdad3f5\n' +
    "schema\t'app'@'10.77.0.31'\tscaleup\tINSERT,SELECT\tNO\n" +
    "schema\t'app'@'10.77.0.99'\tscaleup\tALTER,ALTER ROUTINE,CREATE,CREATE ROUTINE,CREATE TEMPORARY TABLES,CREATE VIEW,DELETE,DELETE HISTORY,DROP,EVENT,EXECUTE,INDEX,INSERT,LOCK TABLES,REFERENCES,SELECT,SHOW VIEW,TRIGGER,UPDATE\tNO\n" +
    "global\t'app'@'10.77.0.99'\tPROCESS\tNO\n",
};
const ALL =
  'ALTER,ALTER ROUTINE,CREATE,CREATE ROUTINE,CREATE TEMPORARY TABLES,CREATE VIEW,DELETE,DELETE HISTORY,DROP,EVENT,EXECUTE,INDEX,INSERT,LOCK TABLES,REFERENCES,SELECT,SHOW VIEW,TRIGGER,UPDATE';
const converged = {
  secure: '',
  database: 'utf8mb4\tutf8mb4_unicode_ci\n',
  users:
    'user\t10.77.0.32\tmysql_native_password\tacc1469b4bd739a7c5d887f7dee8a776ea4ca971296dedb1bf3912d20bdad3f5\n' +
    'user\t10.77.0.31\tmysql_native_password\tacc1469b4bd739a7c5d887f7dee8a776ea4ca971296dedb1bf3912d20bdad3f5\n' +
    `schema\t'app'@'10.77.0.31'\tscaleup\t${ALL}\tNO\n` +
    `schema\t'app'@'10.77.0.32'\tscaleup\t${ALL}\tNO\n`,
};

const sql = { client: 'mysql', flavor: 'mariadb' as const };
const ctx = {} as never;
const password = new Secret('app-secret-1');
const secure = mysqlSecureInstallation(sql);
const database = mysqlDatabase({ ...sql, database: 'scaleup', charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' });
const users = mysqlAppUsers({ ...sql, user: 'app', hosts: ['10.77.0.31', '10.77.0.32'], database: 'scaleup', password });
const decide = async (step: typeof users, stdout: string, exitCode = 0) => (await step.decide({ stdout, exitCode }, ctx)) as SqlChange[];

describe('SQL steps', () => {
  it('probe as root over the socket, read-only, with no password anywhere', () => {
    for (const step of [secure, database, users]) {
      const probe = step.probe(ctx);
      expect(probe).toMatch(/^mysql -N -B -e /);
      expect(probe).not.toMatch(/\b(INSERT|UPDATE|DELETE FROM|DROP|CREATE|GRANT|ALTER)\b/);
      expect(probe).not.toContain('app-secret-1');
      expect(probe).not.toMatch(/-p|--password/);
    }
  });

  it('secure installation: drops anonymous users, remote root and the test database', async () => {
    const changes = await decide(secure, drifted.secure);
    expect(changes.map((c) => c.summary)).toEqual([
      "drop anonymous user ''@'localhost'",
      "drop remote root 'root'@'%'",
      'drop database test',
    ]);
    expect(await decide(secure, converged.secure)).toEqual([]);
  });

  it('database: created when missing, character set corrected, converged otherwise', async () => {
    expect((await decide(database, '')).map((c) => c.summary)).toEqual(['create database scaleup']);
    expect((await decide(database, drifted.database)).map((c) => c.summary)).toEqual([
      'database scaleup: latin1/latin1_swedish_ci → utf8mb4/utf8mb4_unicode_ci',
    ]);
    expect(await decide(database, converged.database)).toEqual([]);
  });

  it('users: password, missing grants, new app host, stale host; converged state is []', async () => {
    const changes = await decide(users, drifted.users);
    expect(changes.map((c) => c.summary)).toEqual([
      "set password of 'app'@'10.77.0.31'",
      expect.stringMatching(/^grant ALL on scaleup\.\* to 'app'@'10\.77\.0\.31' \(missing ALTER, /),
      "create user 'app'@'10.77.0.32' with ALL on scaleup.*",
      "drop user 'app'@'10.77.0.99' (not an app host)",
    ]);
    expect(await decide(users, converged.users)).toEqual([]);
  });

  it('users: privileges beyond the app database are revoked', async () => {
    const extra = converged.users + "global\t'app'@'10.77.0.31'\tPROCESS\tNO\nschema\t'app'@'10.77.0.32'\tmysql\tSELECT\tNO\n";
    expect((await decide(users, extra)).map((c) => c.summary)).toEqual([
      "revoke *.* (PROCESS) from 'app'@'10.77.0.31'; keep ALL on scaleup.*",
      "revoke mysql.* from 'app'@'10.77.0.32'; keep ALL on scaleup.*",
    ]);
  });

  it('apply: the password travels on stdin only, with the session made escape-safe', async () => {
    const remote = recordingRemote();
    await users.apply(remote, await decide(users, drifted.users), ctx);
    expect(remote.calls).toHaveLength(1);
    const [call] = remote.calls;
    expect(call!.command).toBe('mysql -N -B');
    expect(call!.command).not.toContain('app-secret-1');
    expect(call!.stdin!.split('\n')).toEqual([
      "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');",
      "ALTER USER 'app'@'10.77.0.31' IDENTIFIED BY 'app-secret-1';",
      "GRANT ALL PRIVILEGES ON `scaleup`.* TO 'app'@'10.77.0.31';",
      "CREATE USER 'app'@'10.77.0.32' IDENTIFIED BY 'app-secret-1';",
      "GRANT ALL PRIVILEGES ON `scaleup`.* TO 'app'@'10.77.0.32';",
      "DROP USER 'app'@'10.77.0.99';",
      '',
    ]);
  });

  it('apply on MySQL (Ubuntu) names the native password plugin explicitly', async () => {
    const mysqlUsers = mysqlAppUsers({ client: 'mysql', flavor: 'mysql', user: 'app', hosts: ['10.0.0.5'], database: 'scaleup', password });
    const remote = recordingRemote();
    await mysqlUsers.apply(remote, await decide(mysqlUsers, ''), ctx);
    expect(remote.calls[0]!.stdin).toContain("CREATE USER 'app'@'10.0.0.5' IDENTIFIED WITH mysql_native_password BY 'app-secret-1';");
  });

  it('change summaries never carry the password', async () => {
    const changes = await decide(users, drifted.users);
    expect(JSON.stringify(changes)).not.toContain('app-secret-1');
  });

  it('a server that does not answer yet is a pending change, re-read for real in apply', async () => {
    const pending = await decide(users, '', 1);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.summary).toMatch(/server not answering yet/);
    // apply runs the probe first; this fake host answers with the converged state: nothing to do.
    const calls: string[] = [];
    const remote = {
      ...recordingRemote(),
      run: async (command: string) => {
        calls.push(command);
        return { stdout: converged.users, stderr: '', exitCode: 0 };
      },
    };
    await users.apply(remote, pending, ctx);
    expect(calls).toEqual([users.probe(ctx)]);
  });
});
