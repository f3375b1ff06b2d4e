// Checks the running scale-up stack from the control node and from the hosts themselves:
// the VIP answers with a page from the app and data from MySQL; one lb holds the VIP; every
// HAProxy sees every web host UP; nginx and the apps answer; the app's DB user can log in from
// the app hosts and only from there. Read-only: nothing on any host is changed.
import type { Connection } from '../core/connection/connection.ts';
import { safeHostLine } from '../core/host-text.ts';
import { quote } from '../core/quote.ts';
import type { Host, Inventory, Vars } from '../core/model.ts';
import { Secret } from '../core/secret.ts';
import { appDefaults } from '../../roles/app/vars.ts';
import { groupHosts } from '../../roles/lib/vars.ts';
import { haproxyDefaults } from '../../roles/haproxy/vars.ts';
import { primaryOf, sharedDefaults } from '../../roles/shared-vars.ts';
import { parseSlaveStatus } from '../../roles/mysql/replication-steps.ts';

/** Seconds a replica has to apply what the primary has written before verify says it lags. */
const REPLICA_CATCH_UP_S = 30;
import { getFrom, siteTls, verifySiteTls } from './verify-tls.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface StackView {
  inventory: Inventory;
  connect: (host: Host) => Promise<Connection>;
  /** The project's root: where tls_mode self-signed keeps the CA the site is verified with. */
  projectRoot?: string;
  /** A CA file to verify the site's HTTPS chain with instead of the system's CAs. */
  tlsCaFile?: string;
}

/** The path every app answers 2xx on while it is ready (the app role's contract). */
const APP_HEALTH_PATH = '/healthz';

/** Exit code of DB_LOGIN_SCRIPT when the host has none of the client libraries it knows. */
const NO_DB_CLIENT = 3;

/**
 * Logs in to the app's database with the environment the app is given and prints CURRENT_USER(), with
 * whichever MySQL client library is on the host: Debian's node-mysql or python3-pymysql.
 */
const DB_LOGIN_SCRIPT = [
  `if command -v node >/dev/null && NODE_PATH=/usr/share/nodejs node -e "require.resolve('mysql')" 2>/dev/null; then`,
  `  NODE_PATH=/usr/share/nodejs exec node -e ${quote(
    "const c=require('mysql').createConnection({host:process.env.DB_HOST,port:+process.env.DB_PORT,user:process.env.DB_USER,password:process.env.DB_PASSWORD,database:process.env.DB_NAME});" +
    "c.query('SELECT CURRENT_USER() AS u',(e,r)=>{if(e){console.log('ERR '+e.code);process.exit(1)}console.log(r[0].u);c.end()})",
  )};`,
  `elif command -v python3 >/dev/null && python3 -c 'import pymysql' 2>/dev/null; then`,
  `  exec python3 -c ${quote(
    'import os, sys, pymysql\n' +
    'try:\n' +
    "    c = pymysql.connect(host=os.environ['DB_HOST'], port=int(os.environ['DB_PORT']), user=os.environ['DB_USER'], password=os.environ['DB_PASSWORD'], database=os.environ['DB_NAME'], connect_timeout=5)\n" +
    'except pymysql.MySQLError as e:\n' +
    "    print('ERR %s' % (e.args[0] if e.args else e)); sys.exit(1)\n" +
    'with c.cursor() as cur:\n' +
    "    cur.execute('SELECT CURRENT_USER()'); print(cur.fetchone()[0])\n",
  )};`,
  `else echo 'no MySQL client library on the host (node-mysql, python3-pymysql) to log in with'; exit ${NO_DB_CLIENT}; fi`,
].join('\n');

const reveal = (v: unknown) => (v instanceof Secret ? v.reveal() : String(v ?? ''));


function vars(host: Host): Vars & typeof sharedDefaults & typeof appDefaults & typeof haproxyDefaults {
  return { ...sharedDefaults, ...appDefaults, ...haproxyDefaults, ...host.vars } as never;
}

/** GET with a deadline; never throws (a failure is a status of 0 and the reason). */
export async function httpGet(url: string, options: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; error?: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 3000), headers: options.headers });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    return { status: 0, body: '', error: err instanceof Error ? (err.cause as Error | undefined)?.message ?? err.message : String(err) };
  }
}

/** Which lb host has the VIP on an interface (from the hosts themselves), or undefined. */
export async function vipHolder(view: StackView, conns: Map<string, Connection>): Promise<string | undefined> {
  const lbs = groupHosts(view.inventory, sharedDefaults.lb_group);
  const vip = String(vars(lbs[0]!).vip);
  for (const lb of lbs) {
    const r = await conns.get(lb.name)!.exec(`ip -o -4 addr show | grep -q ' ${vip}/'`);
    if (r.exitCode === 0) return lb.name;
  }
  return undefined;
}

/**
 * The stats page fetched by `curl` on the host, its credentials in a config read from stdin: never on a
 * command line, where any local user would read them in `ps`.
 */
async function statsFrom(conn: Connection, url: string, credentials: string): Promise<{ status: number; body: string; error?: string }> {
  const config = `user = "${credentials.replace(/[\\"]/g, '\\$&')}"\n`;
  // Over TLS the stats listener shows the site's certificate, which does not name the lb's address:
  // -k, on a connection that never leaves the host.
  const insecure = url.startsWith('https:') ? '-k ' : '';
  const r = await conn.exec(`curl -s ${insecure}-m 3 -K - -w '\\n%{http_code}' ${quote(url)}`, { stdin: config });
  const at = r.stdout.lastIndexOf('\n');
  const status = Number(r.stdout.slice(at + 1)) || 0;
  return { status, body: r.stdout.slice(0, at), error: status ? undefined : `curl exit ${r.exitCode}` };
}

/** Remote `curl` from one host to another: the HTTP status code ('000' when nothing answered). */
async function curlFrom(conn: Connection, url: string): Promise<string> {
  const r = await conn.exec(`curl -s -o /dev/null -m 3 -w '%{http_code}' ${quote(url)}`);
  return r.stdout.trim() || '000';
}

export async function openAll(view: StackView): Promise<Map<string, Connection>> {
  const conns = new Map<string, Connection>();
  await Promise.all([...view.inventory.hosts.values()].map(async (h) => conns.set(h.name, await view.connect(h))));
  return conns;
}

export async function verifyStack(view: StackView): Promise<Check[]> {
  const inv = view.inventory;
  const lbs = groupHosts(inv, sharedDefaults.lb_group);
  const webs = groupHosts(inv, sharedDefaults.web_group);
  const apps = groupHosts(inv, sharedDefaults.app_group);
  const dbs = groupHosts(inv, sharedDefaults.db_group);
  const checks: Check[] = [];
  // A detail quotes what hosts and the app answered: shown as text, whatever control characters it holds.
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail: safeHostLine(detail) });
  const anyHost = lbs[0] ?? [...inv.hosts.values()][0]!;
  const v = vars(anyHost);

  // 1. Through the VIP, from the control node. The sample app's page counts visits: two visits, the count
  // goes up. Any other app answers `/` and its health path, which by the contract (roles/app/README.md)
  // answers 2xx only while its database does.
  // With TLS on, through HTTPS as a browser would (plain HTTP only redirects there).
  const site = siteTls(v, view.projectRoot ?? process.cwd(), view.tlsCaFile);
  const vipGet = (path: string) => (site
    ? getFrom('https', site.vip, site.httpsPort, site.domain, path, site.ca)
    : httpGet(`http://${v.vip}:${v.haproxy_frontend_port}${path}`));
  const first = await vipGet('/');
  const second = await vipGet('/');
  const count = (body: string) => Number(/id="visits">(\d+)</.exec(body)?.[1] ?? NaN);
  const servedBy = (body: string) => /id="app-host">([^<]+)</.exec(body)?.[1];
  const vipCheck = site ? `VIP https://${site.domain}/ answers from the app with data from MySQL` : `VIP http://${v.vip}/ answers from the app with data from MySQL`;
  if (first.status !== 200 || second.status !== 200) {
    const failed = first.status !== 200 ? first : second;
    add(vipCheck, false, `status ${failed.status} ${failed.error ?? ''}`.trim());
  } else if (!Number.isNaN(count(first.body))) {
    add(vipCheck, count(second.body) > count(first.body), `200, visits ${count(first.body)} → ${count(second.body)}, served by ${servedBy(second.body) ?? '?'}`);
  } else {
    const health = await vipGet(APP_HEALTH_PATH);
    add(vipCheck, health.status >= 200 && health.status < 300, `/ 200, ${APP_HEALTH_PATH} ${health.status || health.error || 'no answer'} (2xx: the app's database answers)`);
  }

  const conns = await openAll(view);
  try {
    // 2. Exactly one lb holds the VIP.
    const holders: string[] = [];
    for (const lb of lbs) {
      if ((await conns.get(lb.name)!.exec(`ip -o -4 addr show | grep -q ' ${v.vip}/'`)).exitCode === 0) holders.push(lb.name);
    }
    add('exactly one load balancer holds the VIP', holders.length === 1, holders.length ? `held by ${holders.join(', ')}` : 'nobody holds it');

    // 3. Each HAProxy sees every web host UP (its stats page, with the stats password), asked on the
    // lb itself: the firewall opens the stats port only to firewall_admin_sources.
    for (const lb of lbs) {
      const lv = vars(lb);
      const scheme = lv.tls_mode === 'off' ? 'http' : 'https';
      const stats = await statsFrom(conns.get(lb.name)!, `${scheme}://${lb.privateAddress}:${lv.haproxy_stats_port}/;csv`, `${lv.haproxy_stats_user}:${reveal(lv.haproxy_stats_password)}`);
      const rows = stats.body.split('\n').map((l) => l.split(','));
      const statusOf = (web: Host) => rows.find((r) => r[1] === web.name)?.[17];
      const states = webs.map((w) => `${w.name} ${statusOf(w) ?? 'missing'}`);
      add(`${lb.name}: HAProxy sees every web host UP`, stats.status === 200 && webs.every((w) => statusOf(w)?.startsWith('UP')),
        stats.status === 200 ? states.join(', ') : `stats page: status ${stats.status} ${stats.error ?? ''}`.trim());
    }

    // 3b. HTTPS on the VIP, when the lbs terminate TLS.
    if (site) await verifySiteTls(site, lbs, conns, (lb) => vars(lb).haproxy_stats_port, add);

    // 4. nginx answers on each web host (asked from an lb, the tier in front of it).
    const front = conns.get(lbs[0]?.name ?? anyHost.name)!;
    for (const web of webs) {
      const health = await curlFrom(front, `http://${web.privateAddress}:${vars(web).nginx_port}/healthz`);
      const stat = await curlFrom(front, `http://${web.privateAddress}:${vars(web).nginx_port}/static/style.css`);
      add(`${web.name}: nginx proxies /healthz and serves /static/`, health === '200' && stat === '200', `/healthz ${health}, /static/style.css ${stat}`);
    }

    // 5. Each app's /healthz (asked from a web host).
    const webConn = conns.get(webs[0]?.name ?? anyHost.name)!;
    for (const app of apps) {
      const code = await curlFrom(webConn, `http://${app.privateAddress}:${vars(app).app_port}/healthz`);
      add(`${app.name}: app /healthz is 200 (its database answers)`, code === '200', `status ${code}`);
    }

    // 6. The app's DB user logs in from every app host, and is refused from web and lb hosts.
    const db = dbs[0] && primaryOf(dbs, String(vars(dbs[0]).mysql_primary ?? ''));
    if (db) {
      const dv = vars(db);
      for (const app of apps) {
        const av = vars(app);
        // As the app's user, as the app runs: nothing the app's account can change runs as root. With the
        // MySQL client library the app itself has on the host (Node's or Python's).
        const script = `runuser -u ${quote(String(av.app_user))} -- sh -c ${quote(`set -a; . /etc/${av.app_name}/env; set +a; cd /; ${DB_LOGIN_SCRIPT}`)}`;
        const r = await conns.get(app.name)!.exec(script, { timeoutMs: 10_000 });
        const said = (r.stdout.trim() || r.stderr.trim()).split('\n').pop() ?? '';
        if (r.exitCode === NO_DB_CLIENT) {
          // Nothing to log in with: the app's health check above is what shows it reaches its database.
          add(`${app.name}: app DB user logs in to ${db.name}`, true, `not checked: ${said}`);
        } else {
          add(`${app.name}: app DB user logs in to ${db.name}`, r.exitCode === 0, said);
        }
      }
      for (const other of [...webs, ...lbs]) {
        // MariaDB answers a host it has no account for with an error packet before any login.
        const r = await conns.get(other.name)!.exec(
          `timeout 3 bash -c ${quote(`exec 3<>/dev/tcp/${db.privateAddress}/${dv.mysql_port} && head -c 200 <&3 | tr -c '[:print:]' ' '`)} 2>&1; true`,
        );
        const text = r.stdout.trim();
        const refused = /not allowed to connect|Connection refused|timed out|No route/i.test(text) || text === '';
        add(`${other.name}: database refuses logins from this host`, refused, refused ? (text.match(/Host .* is not allowed[^ ]* to connect[^.]*/)?.[0] ?? (text || 'no answer')) : `answered: ${text.slice(0, 60)}`);
      }
    }

    // 7. Each replica replicates from the primary and has applied everything the primary had written
    // when asked (the visits above included): MASTER_GTID_WAIT returns 0 once it has.
    if (db) {
      const replicas = dbs.filter((h) => h.name !== db.name);
      const position = replicas.length ? (await conns.get(db.name)!.exec(`mysql -N -B -e 'SELECT @@gtid_binlog_pos'`)).stdout.trim() : '';
      for (const replica of replicas) {
        const conn = conns.get(replica.name)!;
        const status = parseSlaveStatus((await conn.exec(`mysql -B -e 'SHOW SLAVE STATUS'`)).stdout);
        const from = `${db.privateAddress}`;
        if (!status) {
          add(`${replica.name}: replicates from ${db.name}`, false, 'not a replica (SHOW SLAVE STATUS is empty)');
          continue;
        }
        const running = status.ioRunning === 'Yes' && status.sqlRunning === 'Yes' && status.masterHost === from;
        const error = status.lastSqlError || status.lastIoError;
        add(`${replica.name}: replicates from ${db.name}`, running,
          `from ${status.masterHost}, IO ${status.ioRunning}, SQL ${status.sqlRunning}, ${status.secondsBehind || '?'} s behind${error ? `: ${error}` : ''}`);
        const waited = running && /^[0-9,-]*$/.test(position)
          ? (await conn.exec(`mysql -N -B -e ${quote(`SELECT MASTER_GTID_WAIT('${position}', ${REPLICA_CATCH_UP_S})`)}`, { timeoutMs: (REPLICA_CATCH_UP_S + 10) * 1000 })).stdout.trim()
          : '';
        const replicaPosition = (await conn.exec(`mysql -N -B -e 'SELECT @@gtid_slave_pos'`)).stdout.trim();
        add(`${replica.name}: has the primary's writes`, waited === '0',
          waited === '0' ? `at ${replicaPosition} (primary at ${position})` : `not at the primary's ${position} within ${REPLICA_CATCH_UP_S} s (at ${replicaPosition || '?'})`);
      }
    }
  } finally {
    await Promise.all([...conns.values()].map((c) => c.close()));
  }
  return checks;
}
