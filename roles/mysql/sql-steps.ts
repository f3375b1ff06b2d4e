// Steps that converge MySQL/MariaDB state with SQL. Each probes with one read-only SELECT over the
// unix socket as root (no password: root keeps unix_socket auth), decides from the rows, and applies
// by piping statements on stdin. A password appears only in the SQL written to stdin, built in
// `apply` from the Secret; probes print SHA2 of the stored hash, never the hash itself.
import { type Change, type ProbeOutput, type Remote, Secret, type Step } from 'scaleup';
import {
  SESSION_PREAMBLE,
  grantDatabasePattern,
  parseBatch,
  queryCommand,
  sqlAccount,
  sqlIdent,
  sqlString,
  storedHashDigest,
} from './sql.ts';
import { sqlQuery } from './sql-queries.ts';

/** How the server spells account passwords: MariaDB defaults to mysql_native_password, MySQL 8 does not. */
export type SqlFlavor = 'mariadb' | 'mysql';

/** One statement of a change; a password statement is rendered only while applying. */
type SqlStatement = { sql: string } | { password: { account: string; create: boolean } };

export interface SqlChange extends Change {
  statements: SqlStatement[];
  /** The probe failed (server not installed or not answering yet): re-read the state in apply. */
  unreadable?: boolean;
}

export interface SqlStepSpec {
  name: string;
  client: string;
  flavor: SqlFlavor;
  query: string;
  /** Pure: the changes still needed given the probe's rows. */
  plan(rows: string[][]): SqlChange[];
  /** What the step would do when the state cannot be read yet (check mode on a bare host). */
  pending: string;
  password?: Secret;
}

export function passwordClause(flavor: SqlFlavor, password: Secret): string {
  const literal = sqlString(password.reveal());
  return flavor === 'mysql' ? `IDENTIFIED WITH mysql_native_password BY ${literal}` : `IDENTIFIED BY ${literal}`;
}

export function sqlStep(spec: SqlStepSpec): Step {
  const probe = queryCommand(spec.client, spec.query);
  const render = (s: SqlStatement): string => {
    if ('sql' in s) return s.sql;
    if (!spec.password) throw new Error(`${spec.name}: a password statement without a password`);
    const verb = s.password.create ? 'CREATE USER' : 'ALTER USER';
    return `${verb} ${s.password.account} ${passwordClause(spec.flavor, spec.password)};`;
  };
  return {
    name: spec.name,
    probe: () => probe,
    shared: () => sqlQuery(spec.client, spec.query),
    decide(output: ProbeOutput): SqlChange[] {
      if (output.exitCode !== 0) return [{ summary: `${spec.pending} (server not answering yet)`, statements: [], unreadable: true }];
      return spec.plan(parseBatch(output.stdout));
    },
    async apply(remote: Remote, changes: Change[]): Promise<void> {
      let todo = changes as SqlChange[];
      // Run the probe for real: fails with the client's own error if the server is still down.
      if (todo.some((c) => c.unreadable)) todo = spec.plan(parseBatch((await remote.run(probe)).stdout));
      const statements = todo.flatMap((c) => c.statements.map(render));
      if (statements.length === 0) return;
      await remote.run(`${spec.client} -N -B`, { stdin: [SESSION_PREAMBLE, ...statements, ''].join('\n') });
    },
  };
}

export interface SecureInstallationSpec {
  client: string;
  flavor: SqlFlavor;
}

/** The `mysql_secure_installation` equivalent: no anonymous users, no remote root, no test database. */
export function mysqlSecureInstallation(spec: SecureInstallationSpec): Step {
  const testDbs = `(${sqlString('test')}, ${sqlString('test\\_%')})`;
  return sqlStep({
    name: 'mysql secure installation',
    client: spec.client,
    flavor: spec.flavor,
    pending: 'remove anonymous users, remote root and the test database',
    query: [
      "SELECT 'anonymous', Host FROM mysql.user WHERE User = '';",
      "SELECT 'remote-root', Host FROM mysql.user WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1');",
      "SELECT 'test-db', SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test';",
      `SELECT 'test-grant', COUNT(*) FROM mysql.db WHERE Db IN ${testDbs} HAVING COUNT(*) > 0;`,
    ].join(' '),
    plan(rows) {
      const changes: SqlChange[] = [];
      for (const [kind, value] of rows) {
        if (kind === 'anonymous') {
          changes.push({ summary: `drop anonymous user ''@'${value}'`, statements: [{ sql: `DROP USER ${sqlAccount('', value ?? '')};` }] });
        } else if (kind === 'remote-root') {
          changes.push({ summary: `drop remote root 'root'@'${value}'`, statements: [{ sql: `DROP USER ${sqlAccount('root', value ?? '')};` }] });
        } else if (kind === 'test-db') {
          changes.push({ summary: 'drop database test', statements: [{ sql: 'DROP DATABASE IF EXISTS `test`;' }] });
        } else if (kind === 'test-grant') {
          changes.push({
            summary: `remove ${value} grant(s) on the test databases`,
            statements: [{ sql: `DELETE FROM mysql.db WHERE Db IN ${testDbs};` }, { sql: 'FLUSH PRIVILEGES;' }],
          });
        }
      }
      return changes;
    },
  });
}

export interface DatabaseSpec {
  client: string;
  flavor: SqlFlavor;
  database: string;
  charset: string;
  collation: string;
}

/** A database with the given default character set and collation. */
export function mysqlDatabase(spec: DatabaseSpec): Step {
  const { database, charset, collation } = spec;
  const defaults = `CHARACTER SET ${sqlString(charset)} COLLATE ${sqlString(collation)}`;
  return sqlStep({
    name: `mysql database ${database}`,
    client: spec.client,
    flavor: spec.flavor,
    pending: `create database ${database}`,
    query:
      'SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA ' +
      `WHERE SCHEMA_NAME = ${sqlString(database)};`,
    plan(rows) {
      const row = rows[0];
      if (!row) {
        return [{ summary: `create database ${database}`, statements: [{ sql: `CREATE DATABASE IF NOT EXISTS ${sqlIdent(database)} ${defaults};` }] }];
      }
      const [cs, coll] = row;
      if (cs === charset && coll === collation) return [];
      return [
        {
          summary: `database ${database}: ${cs}/${coll} → ${charset}/${collation}`,
          statements: [{ sql: `ALTER DATABASE ${sqlIdent(database)} ${defaults};` }],
        },
      ];
    },
  });
}

/** Privileges that ALL on a database grants on every MySQL/MariaDB version we support. */
export const DATABASE_PRIVILEGES = [
  'ALTER', 'ALTER ROUTINE', 'CREATE', 'CREATE ROUTINE', 'CREATE TEMPORARY TABLES', 'CREATE VIEW', 'DELETE',
  'DROP', 'EVENT', 'EXECUTE', 'INDEX', 'INSERT', 'LOCK TABLES', 'REFERENCES', 'SELECT', 'SHOW VIEW', 'TRIGGER',
  'UPDATE',
];

export interface AppUsersSpec {
  client: string;
  flavor: SqlFlavor;
  user: string;
  /** Exactly these hosts get an account; accounts of this user on any other host are dropped. */
  hosts: string[];
  database: string;
  password: Secret;
}

/**
 * One account `user`@`host` per app host with ALL on the app database and nothing else, the given
 * password (mysql_native_password), and no account of this user left on a host no longer listed.
 */
export function mysqlAppUsers(spec: AppUsersSpec): Step {
  const { user, database } = spec;
  const hosts = [...new Set(spec.hosts)];
  const grantee = `${sqlString(`'${user}'@`)}`;
  const ofUser = `LEFT(GRANTEE, CHAR_LENGTH(${grantee})) = ${grantee}`;
  const pattern = grantDatabasePattern(database);
  const grantAll = (account: string) => ({ sql: `GRANT ALL PRIVILEGES ON ${sqlIdent(pattern)}.* TO ${account};` });
  const expectedDigest = storedHashDigest(spec.password.reveal());

  return sqlStep({
    name: `mysql users ${user}`,
    client: spec.client,
    flavor: spec.flavor,
    password: spec.password,
    pending: `create user ${user} on ${hosts.join(', ') || 'no host'}`,
    query: [
      `SELECT 'user', Host, plugin, IFNULL(SHA2(authentication_string, 256), '') FROM mysql.user WHERE User = ${sqlString(user)};`,
      "SELECT 'schema', GRANTEE, TABLE_SCHEMA, GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE SEPARATOR ','), MAX(IS_GRANTABLE) " +
        `FROM information_schema.SCHEMA_PRIVILEGES WHERE ${ofUser} GROUP BY GRANTEE, TABLE_SCHEMA;`,
      "SELECT 'global', GRANTEE, GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE SEPARATOR ','), MAX(IS_GRANTABLE) " +
        `FROM information_schema.USER_PRIVILEGES WHERE ${ofUser} AND (PRIVILEGE_TYPE <> 'USAGE' OR IS_GRANTABLE = 'YES') GROUP BY GRANTEE;`,
    ].join(' '),
    plan(rows) {
      const accounts = new Map<string, { plugin: string; digest: string }>();
      const schemaPrivs = new Map<string, { schema: string; privileges: string[]; grantable: boolean }[]>();
      const globalPrivs = new Map<string, string>();
      const hostOf = (g: string): string => /^'.*'@'(.*)'$/.exec(g)?.[1] ?? g;
      for (const row of rows) {
        const [kind, a = '', b = '', c = '', d = ''] = row;
        if (kind === 'user') accounts.set(a, { plugin: b, digest: c });
        else if (kind === 'schema') {
          const list = schemaPrivs.get(hostOf(a)) ?? [];
          list.push({ schema: b, privileges: c.split(','), grantable: d === 'YES' });
          schemaPrivs.set(hostOf(a), list);
        } else if (kind === 'global') globalPrivs.set(hostOf(a), b);
      }

      const changes: SqlChange[] = [];
      for (const host of hosts) {
        const account = sqlAccount(user, host);
        const name = `'${user}'@'${host}'`;
        const existing = accounts.get(host);
        if (!existing) {
          changes.push({
            summary: `create user ${name} with ALL on ${database}.*`,
            statements: [{ password: { account, create: true } }, grantAll(account)],
          });
          continue;
        }
        if (existing.plugin !== 'mysql_native_password' || existing.digest !== expectedDigest) {
          changes.push({ summary: `set password of ${name}`, statements: [{ password: { account, create: false } }] });
        }
        const grants = schemaPrivs.get(host) ?? [];
        const extra = [
          ...grants.filter((g) => g.schema !== pattern || g.grantable).map((g) => `${g.schema}.*${g.grantable ? ' (with grant option)' : ''}`),
          ...(globalPrivs.has(host) ? [`*.* (${globalPrivs.get(host)})`] : []),
        ];
        const onDb = grants.find((g) => g.schema === pattern)?.privileges ?? [];
        const missing = DATABASE_PRIVILEGES.filter((p) => !onDb.includes(p));
        if (extra.length > 0) {
          changes.push({
            summary: `revoke ${extra.join(', ')} from ${name}; keep ALL on ${database}.*`,
            statements: [{ sql: `REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${account};` }, grantAll(account)],
          });
        } else if (missing.length > 0) {
          changes.push({ summary: `grant ALL on ${database}.* to ${name} (missing ${missing.join(', ')})`, statements: [grantAll(account)] });
        }
      }
      for (const host of accounts.keys()) {
        if (!hosts.includes(host)) {
          changes.push({ summary: `drop user '${user}'@'${host}' (not an app host)`, statements: [{ sql: `DROP USER ${sqlAccount(user, host)};` }] });
        }
      }
      return changes;
    },
  });
}
