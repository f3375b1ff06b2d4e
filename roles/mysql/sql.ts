// SQL text built on the control node: literals, identifiers, accounts, and the parsing of the
// mysql client's batch output. Every value that reaches SQL passes through one of these.
import { createHash } from 'node:crypto';
import { quote } from 'scaleup';

/**
 * A SQL string literal. Quotes are doubled (valid in every sql_mode) and backslashes escaped; the
 * steps also clear NO_BACKSLASH_ESCAPES for their session, so the server reads exactly `s`.
 */
export function sqlString(s: string): string {
  const escaped = s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "''")
    .replace(/\0/g, '\\0')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\x1a/g, '\\Z');
  return `'${escaped}'`;
}

/** A quoted identifier (database, table): backticks, with embedded backticks doubled. */
export function sqlIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
}

/** An account, e.g. 'app'@'10.77.0.31'. */
export function sqlAccount(user: string, host: string): string {
  return `${sqlString(user)}@${sqlString(host)}`;
}

/**
 * The database name as written in GRANT: `_` and `%` are wildcards there, so a literal name escapes
 * them (`my_db` would otherwise also grant `myXdb`). information_schema shows the escaped form.
 */
export function grantDatabasePattern(database: string): string {
  return database.replace(/([\\_%])/g, '\\$1');
}

/** Clears NO_BACKSLASH_ESCAPES for the session so `sqlString` means what it says in any server config. */
export const SESSION_PREAMBLE = "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');";

/** The mysql_native_password hash the server stores: `*` + HEX(SHA1(SHA1(password))). */
export function nativePasswordHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return '*' + createHash('sha1').update(inner).digest('hex').toUpperCase();
}

/**
 * What the probe compares against: SHA2(authentication_string, 256) as the server computes it. The
 * probe prints only this hash of the stored hash, so its output is useless for logging in.
 */
export function storedHashDigest(password: string): string {
  return createHash('sha256').update(nativePasswordHash(password)).digest('hex');
}

/** Undoes the escaping of `mysql --batch` (\\, \t, \n, \0) in one field. */
function unescapeBatchField(field: string): string {
  return field.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', '0': '\0', '\\': '\\' })[c] ?? c);
}

/** Parses `mysql -N -B` output into rows of fields; NULL stays the string `NULL`. */
export function parseBatch(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t').map(unescapeBatchField));
}

/** The command line of a read-only query: root over the unix socket, no password anywhere. */
export function queryCommand(client: string, sql: string): string {
  return `${client} -N -B -e ${quote(`${SESSION_PREAMBLE} ${sql}`)}`;
}
