// Every role rendered as the engine renders it (role defaults < inventory vars, facts, hostsIn), for
// the five-host lab and for the lab scaled out with web-02 and app-02: what lands in each file.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import app from '../../roles/app/index.ts';
import firewall from '../../roles/firewall/index.ts';
import haproxy from '../../roles/haproxy/index.ts';
import keepalived from '../../roles/keepalived/index.ts';
import mysql from '../../roles/mysql/index.ts';
import nginx from '../../roles/nginx/index.ts';
import { buildRelease, type Release } from '../../roles/app/release.ts';
import { switchCommand } from '../../roles/app/vars.ts';
import { Secret } from '../../src/core/secret.ts';
import { rolesDir, templatesOf } from './builtin-roles.ts';
import { labInventory, roleOn, stepNamed, written } from './roles-fixtures.ts';

const lab = labInventory();
const scaled = labInventory({ scaled: true });

describe('every template of the stack', () => {
  const roles = ['mysql', 'app', 'nginx', 'haproxy', 'keepalived', 'firewall'];
  const files = roles.flatMap((role) =>
    readdirSync(templatesOf(role)).filter((f) => f.endsWith('.ejs')).map((f) => `${role}/${f}`),
  );

  it.each(files)('%s says it is managed, on its first line (after a shebang)', (file) => {
    const source = readFileSync(path.join(templatesOf(file.split('/')[0]!), file.split('/')[1]!), 'utf8');
    const output = source.replace(/^<%[\s\S]*?-%>\n/, '');
    const lines = output.split('\n');
    const first = lines[0]!.startsWith('#!') ? lines[1] : lines[0];
    expect(first).toBe('# managed by scaleup — local edits are overwritten');
  });
});

describe('a tier is configured at the addresses and ports of the hosts it sends to', () => {
  const moved = () => {
    const inv = labInventory({ scaled: true });
    // As `groups.web.vars.nginx_port: 8080` would, on the web hosts only; SSH to app-01 goes through a name.
    for (const name of ['web-01', 'web-02']) inv.hosts.get(name)!.vars.nginx_port = 8080;
    inv.hosts.get('app-01')!.vars.app_port = 4000;
    inv.hosts.get('db-01')!.vars.mysql_port = 3307;
    inv.hosts.get('app-01')!.address = 'app-01.bastion.example';
    return inv;
  };

  it('HAProxy sends to each web host\'s own nginx_port', async () => {
    const { content } = await written(roleOn(haproxy, moved(), 'lb-01'), '/etc/haproxy/haproxy.cfg');
    expect(content).toContain('server web-01 10.77.0.21:8080\n    server web-02 10.77.0.22:8080\n');
  });

  it('nginx sends to each app host\'s own app_port, at its private address', async () => {
    const { content } = await written(roleOn(nginx, moved(), 'web-01'), '/etc/nginx/sites-available/scaleup');
    expect(content).toContain('server 10.77.0.31:4000 max_fails=2 fail_timeout=5s;  # app-01');
    expect(content).toContain('server 10.77.0.32:3000 max_fails=2 fail_timeout=5s;  # app-02');
    expect(content).not.toContain('bastion');
  });

  it('the app connects to the db host\'s own mysql_port', async () => {
    const { content } = await written(roleOn(app, moved(), 'app-02'), '/etc/counter/env');
    expect(content).toContain('DB_HOST="10.77.0.41"\nDB_PORT="3307"');
  });
});

describe('haproxy', () => {
  it('binds the VIP, lists every web host, checks /healthz, stats on the private address', async () => {
    const { content, script } = await written(roleOn(haproxy, lab, 'lb-01'), '/etc/haproxy/haproxy.cfg');
    expect(content).toMatch(/^frontend www\n {4}bind 10\.77\.0\.100:80$/m);
    expect(content.match(/^ {4}server .*$/gm)).toEqual(['    server web-01 10.77.0.21:80']);
    expect(content).toContain('    option httpchk\n    http-check send meth GET uri /healthz');
    expect(content).toContain('    http-check expect status 200');
    expect(content).toMatch(/^listen stats\n {4}bind 10\.77\.0\.11:8404$/m);
    expect(content).toContain("    stats auth 'admin:stats-pw with spaces'");
    expect(content).not.toMatch(/bind 10\.77\.0\.100:8404/);
    // keepalived's readiness check: loopback only, 503 once no web host is UP.
    expect(content).toMatch(/^frontend ready\n {4}bind 127\.0\.0\.1:8405\n {4}monitor-uri \/ready\n {4}monitor fail if \{ nbsrv\(web\) lt 1 \}$/m);
    // Validated before going live; readable by the haproxy group only (it holds the stats password).
    expect(script).toContain('dest=/etc/haproxy/haproxy.cfg\n');
    expect(script).toContain('haproxy -c -q -f "$PWD/$tmp"');
    expect(script).toContain('chown root:haproxy');
    expect(script).toContain('chmod 0640');
  });

  it('puts web-02 in the backend when the inventory has it; each lb binds stats on its own address', async () => {
    const { content } = await written(roleOn(haproxy, scaled, 'lb-02'), '/etc/haproxy/haproxy.cfg');
    expect(content.match(/^ {4}server .*$/gm)).toEqual(['    server web-01 10.77.0.21:80', '    server web-02 10.77.0.22:80']);
    expect(content).toMatch(/^ {4}bind 10\.77\.0\.12:8404$/m);
  });

  it('quotes a stats password with a single quote the way HAProxy reads it', async () => {
    const inv = labInventory({ all: { haproxy_stats_password: "it's" } });
    const { content } = await written(roleOn(haproxy, inv, 'lb-01'), '/etc/haproxy/haproxy.cfg');
    expect(content).toContain("    stats auth 'admin:it'\\''s'");
  });

  it('sets ip_nonlocal_bind before HAProxy starts, and reloads on change', () => {
    const run = roleOn(haproxy, lab, 'lb-01');
    expect(run.steps.map((s) => s.name)).toEqual([
      'sysctl net.ipv4.ip_nonlocal_bind', 'package haproxy', 'template /etc/haproxy/haproxy.cfg', 'service haproxy running',
    ]);
    expect(stepNamed(run, 'template /etc/haproxy/haproxy.cfg').notify).toEqual(['reload haproxy']);
    expect(Object.keys(run.handlers)).toEqual(['reload haproxy']);
  });
});

describe('keepalived', () => {
  it('first lb host: MASTER, highest priority, the other as unicast peer, VIP on the interface from facts', async () => {
    const { content, script } = await written(roleOn(keepalived, lab, 'lb-01'), '/etc/keepalived/keepalived.conf');
    expect(content).toContain('    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 150\n');
    expect(content).toContain('    unicast_src_ip 10.77.0.11\n    unicast_peer {\n        10.77.0.12\n    }');
    expect(content).toContain('        10.77.0.100/24 dev eth0');
    expect(content).toContain('    version 3\n    advert_int 0.5\n');
    expect(content).toContain('    check_unicast_src\n');
    expect(content).not.toContain('authentication');
    expect(content).toContain('    script "/etc/keepalived/check_haproxy.sh"');
    expect(content).toMatch(/track_file haproxy_handover \{\n {4}file "\/run\/haproxy-vip-handover"\n {4}weight 0\n {4}init_file 0\n\}/);
    expect(content).toMatch(/ {4}track_file \{\n {8}haproxy_handover\n {4}\}/);
    // No web host UP: 150 - 11 = 139, below lb-02's 140.
    expect(content).toMatch(/vrrp_script chk_haproxy_ready \{\n {4}script "\/etc\/keepalived\/check_haproxy_ready.sh"\n(.*\n){3} {4}weight -11\n\}/);
    expect(content).toContain('    track_script {\n        chk_haproxy\n        chk_haproxy_ready\n    }');
    expect(content).toContain('    enable_script_security\n    script_user root');
    expect(script).toContain('dest=/etc/keepalived/keepalived.conf\n');
    expect(script).toContain('keepalived --config-test -f "$PWD/$tmp"');
    expect(script).toContain('chmod 0640');
  });

  it('VRRPv2 (opt-in): whole-second adverts and PASS authentication', async () => {
    const inv = labInventory({ all: { keepalived_vrrp_version: 2, keepalived_advert_int: 1, keepalived_auth_pass: new Secret('vrrp-pw1') } });
    const { content } = await written(roleOn(keepalived, inv, 'lb-01'), '/etc/keepalived/keepalived.conf');
    expect(content).toContain('    version 2\n    advert_int 1\n');
    expect(content).toContain('    authentication {\n        auth_type PASS\n        auth_pass vrrp-pw1\n    }');
  });

  it('systemd: HAProxy hands the VIP over before it stops; a dead keepalived is restarted', async () => {
    const run = roleOn(keepalived, lab, 'lb-01');
    const dropin = '/etc/systemd/system/haproxy.service.d/scaleup-vip-handover.conf';
    const unit = (await written(run, dropin)).content;
    expect(unit).toContain("ExecStartPost=/bin/sh -c 'echo 0 > /run/haproxy-vip-handover'\nExecStop=/etc/keepalived/haproxy-vip-handover.sh\n");
    const script = (await written(run, '/etc/keepalived/haproxy-vip-handover.sh')).content;
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('echo 1 > /run/haproxy-vip-handover\n');
    expect(script).toContain('ip -4 -o addr show to 10.77.0.100 | grep -q .');
    const ready = (await written(run, '/etc/keepalived/check_haproxy_ready.sh')).content;
    expect(ready.startsWith('#!/bin/bash\n')).toBe(true);
    expect(ready).toContain('exec 3<>/dev/tcp/127.0.0.1/8405 || exit 1');
    const restart = (await written(run, '/etc/systemd/system/keepalived.service.d/scaleup-restart.conf')).content;
    expect(restart).toContain('[Service]\nRestart=on-failure\n');
    expect(stepNamed(run, `template ${dropin}`).notify).toEqual(['reload systemd']);
    expect(Object.keys(run.handlers)).toEqual(['reload systemd', 'reload keepalived']);
    const sysv = roleOn(keepalived, lab, 'lb-01', { initSystem: 'sysv' });
    expect(sysv.steps.map((s) => s.name).filter((n) => n.includes('systemd') || n.includes('handover'))).toEqual([]);
  });

  it('second lb host: BACKUP with a lower priority', async () => {
    const { content } = await written(roleOn(keepalived, lab, 'lb-02'), '/etc/keepalived/keepalived.conf');
    expect(content).toContain('    state BACKUP\n');
    expect(content).toContain('    priority 140\n');
    expect(content).toContain('    unicast_src_ip 10.77.0.12\n    unicast_peer {\n        10.77.0.11\n    }');
  });

  it('a host variable overrides the priority, and the state follows it', async () => {
    const inv = labInventory({ hostVars: { 'lb-02': { keepalived_priority: 200 } } });
    const one = (await written(roleOn(keepalived, inv, 'lb-01'), '/etc/keepalived/keepalived.conf')).content;
    const two = (await written(roleOn(keepalived, inv, 'lb-02'), '/etc/keepalived/keepalived.conf')).content;
    expect(one).toContain('    state BACKUP\n');
    expect(one).toContain('    priority 150\n');
    expect(two).toContain('    state MASTER\n');
    expect(two).toContain('    priority 200\n');
  });

  it('installs the check script before the config that names it', async () => {
    const run = roleOn(keepalived, lab, 'lb-01');
    const names = run.steps.map((s) => s.name);
    expect(names.indexOf('template /etc/keepalived/check_haproxy.sh')).toBeLessThan(names.indexOf('template /etc/keepalived/keepalived.conf'));
    expect(names.at(-1)).toBe('service keepalived running');
    const { content, script } = await written(run, '/etc/keepalived/check_haproxy.sh');
    expect(content).toContain('pidfile=/run/haproxy.pid');
    expect(script).toContain('chown root:root');
    expect(script).toContain('chmod 0755');
  });

  it('reloads through the sysv script only after checking the process (the script has no status)', () => {
    const sysv = roleOn(keepalived, lab, 'lb-01', { initSystem: 'sysv' });
    expect(Object.keys(sysv.handlers)).toEqual(['reload keepalived']);
  });
});

describe('nginx', () => {
  it('upstream of every app host with keepalive; /static/ with expires; /healthz proxied', async () => {
    const { content } = await written(roleOn(nginx, lab, 'web-01'), '/etc/nginx/sites-available/scaleup');
    expect(content.match(/^ {4}server .*$/gm)).toEqual([
      '    server 10.77.0.31:3000 max_fails=2 fail_timeout=5s;  # app-01',
      // The surge port: tried only while no app_port answers (an app restarting during a deploy).
      '    server 10.77.0.31:3001 backup max_fails=0;  # app-01 (surge)',
    ]);
    expect(content).toContain('    keepalive 32;');
    expect(content).toMatch(/location \/static\/ \{\n\s+# .*\n\s+expires 7d;/);
    expect(content).toMatch(/location = \/healthz \{[^}]*proxy_pass http:\/\/app;/);
    expect(content).toMatch(/location \/ \{\s+proxy_pass http:\/\/app;/);
    expect(content).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(content).toContain('proxy_set_header X-Forwarded-Proto $scaleup_forwarded_proto;');
    expect(content).toContain('proxy_set_header X-Forwarded-Host $host;');
    expect(content).toContain('proxy_set_header Connection "";');
    expect(content).toContain('    listen 80 default_server;');
  });

  it('scaled inventory: app-02 joins the upstream', async () => {
    const { content } = await written(roleOn(nginx, scaled, 'web-02'), '/etc/nginx/sites-available/scaleup');
    expect(content.match(/^ {4}server (\S+)/gm)).toEqual([
      '    server 10.77.0.31:3000', '    server 10.77.0.32:3000', '    server 10.77.0.31:3001', '    server 10.77.0.32:3001',
    ]);
  });

  it('nginx.conf carries the variables and is validated as a whole config', async () => {
    const inv = labInventory({ hostVars: { 'web-01': { nginx_client_max_body_size: '64m' } } });
    const { content, script } = await written(roleOn(nginx, inv, 'web-01'), '/etc/nginx/nginx.conf');
    expect(content).toContain('    client_max_body_size 64m;');
    expect(content).toContain('    gzip on;');
    expect(content).toContain('    include /etc/nginx/sites-enabled/*;');
    expect(script).toContain('dest=/etc/nginx/nginx.conf\n');
    expect(script).toContain('nginx -t -q -c "$PWD/$tmp"');
  });

  it('the site file is validated in context by the installed script, before it replaces the live one', async () => {
    const run = roleOn(nginx, lab, 'web-01');
    const { script } = await written(run, '/etc/nginx/sites-available/scaleup');
    expect(script).toContain('dest=/etc/nginx/sites-available/scaleup\n');
    expect(script).toContain('/usr/local/sbin/scaleup-nginx-validate-site "$PWD/$tmp"');
    const names = run.steps.map((s) => s.name);
    expect(names.indexOf('template /usr/local/sbin/scaleup-nginx-validate-site')).toBeLessThan(names.indexOf('template /etc/nginx/sites-available/scaleup'));
    // The default site also claims default_server: it goes before ours is enabled.
    expect(names.indexOf('absent /etc/nginx/sites-enabled/default')).toBeLessThan(names.indexOf('symlink /etc/nginx/sites-enabled/scaleup'));
    expect(run.steps.filter((s) => s.notify?.length).every((s) => s.notify!.join() === 'reload nginx')).toBe(true);
    expect(Object.keys(run.handlers)).toEqual(['reload nginx']);
  });

  it('ships the static files into the document root', async () => {
    const { content } = await written(roleOn(nginx, lab, 'web-01'), '/var/www/scaleup/static/style.css');
    expect(content).toBe(readFileSync(path.join(rolesDir, 'nginx/files/public/style.css'), 'utf8'));
  });
});

describe('mysql', () => {
  it('binds the private address, never 0.0.0.0 by default', async () => {
    const { content } = await written(roleOn(mysql, lab, 'db-01'), '/etc/mysql/mariadb.conf.d/60-scaleup.cnf');
    expect(content).toContain('bind-address            = 10.77.0.41');
    expect(content).toContain('skip-name-resolve');
    expect(content).not.toContain('0.0.0.0');
  });

  it('per-distribution names: MariaDB on Debian, MySQL on Ubuntu', () => {
    const debian = roleOn(mysql, lab, 'db-01').steps.map((s) => s.name);
    expect(debian).toEqual([
      'package mariadb-server mariadb-client', 'template /etc/mysql/mariadb.conf.d/60-scaleup.cnf',
      'template /etc/mysql/mariadb.conf.d/61-scaleup-role.cnf', 'service mariadb running', 'mysql read_only OFF',
      'mysql primary replicates from nobody', 'mysql secure installation', 'mysql database scaleup', 'mysql users app', 'mysql replication accounts replicator',
    ]);
    const ubuntu = roleOn(mysql, lab, 'db-01', { osId: 'ubuntu' });
    expect(ubuntu.steps.map((s) => s.name).slice(0, 3)).toEqual([
      'package mysql-server mysql-client', 'template /etc/mysql/mysql.conf.d/scaleup.cnf', 'template /etc/mysql/mysql.conf.d/scaleup-role.cnf',
    ]);
    expect(() => roleOn(mysql, lab, 'db-01', { osId: 'alpine' })).toThrow(/unsupported OS 'alpine'/);
  });

  it('grants every app host of the inventory, and restarts on a config change', async () => {
    const run = roleOn(mysql, scaled, 'db-01');
    const users = stepNamed(run, 'mysql users app');
    const changes = await users.decide({ stdout: '', exitCode: 0 }, run.ctx);
    expect(changes.map((c) => c.summary)).toEqual([
      "create user 'app'@'10.77.0.31' with ALL on scaleup.*",
      "create user 'app'@'10.77.0.32' with ALL on scaleup.*",
    ]);
    expect(stepNamed(run, 'template /etc/mysql/mariadb.conf.d/60-scaleup.cnf').notify).toEqual(['restart mysql']);
    expect(Object.keys(run.handlers)).toEqual(['restart mysql', 'reload systemd']);
  });
});

describe('app', () => {
  let release: Release;
  beforeAll(async () => {
    release = await buildRelease(path.join(rolesDir, 'app', 'files', 'counter'), '');
  });
  const appOn = (inv: typeof lab, host: string, options: { initSystem?: 'systemd' | 'sysv' } = {}) => roleOn(app, inv, host, { ...options, prepared: release });

  it('deploys into a release named by the content hash, sent as one archive, then switches to it through the health gate', () => {
    const run = appOn(lab, 'app-01');
    const names = run.steps.map((s) => s.name);
    expect(release.id).toMatch(/^[0-9a-f]{12}$/);
    expect(names.filter((n) => n.startsWith('file /opt/counter/releases/'))).toEqual([]);
    const unpack = names.indexOf(`unpack /opt/counter/releases/${release.id}`);
    const deploy = names.indexOf(`deploy release ${release.id} of counter`);
    expect(unpack).toBeGreaterThan(0);
    // The env file first: the release is health-checked with the environment it will run with.
    expect(names.indexOf('template /etc/counter/env')).toBeLessThan(deploy);
    expect(unpack).toBeLessThan(deploy);
    expect(names[deploy + 1]).toBe('prune releases of counter');
    expect(stepNamed(run, `deploy release ${release.id} of counter`).notify).toEqual(['record release']);
  });

  it('the switch script: surge port health-gated, then app_port restarted, then the surge instance stopped', async () => {
    const inv = labInventory({ all: { app_health_path: '/ready', app_health_timeout: 45 } });
    const { content } = await written(appOn(inv, 'app-01'), '/usr/local/sbin/counter-switch');
    expect(content.startsWith('#!/bin/sh\n')).toBe(true);
    expect(content).toContain("curl -sS -o \"$body\" -w '%{http_code}' --max-time 2 http://10.77.0.31:\"$1\"/ready");
    expect(content).toContain('deadline=$(( $(date +%s) + 45 ))');
    const start = content.indexOf("service_do start 'counter-surge'");
    const restart = content.indexOf("service_do restart 'counter'");
    const settle = content.lastIndexOf('sleep 6');
    expect(start).toBeGreaterThan(0);
    expect(restart).toBeGreaterThan(start);
    expect(settle).toBeGreaterThan(restart);
    expect(content).toContain('fail "health check /ready on port 3001 failed: $answer; the live release keeps serving"');
    // No app_migrate: no migration code.
    expect(content).not.toContain('runuser');
  });

  it('app_migrate: on the first app host only, as the app user, in the release', async () => {
    const inv = labInventory({ scaled: true, all: { app_migrate: 'node migrate.js' } });
    const first = await written(appOn(inv, 'app-01'), '/usr/local/sbin/counter-switch');
    expect(first.content).toContain("runuser -u 'counter' --");
    expect(first.content).toContain("\"$release\" 'node migrate.js'");
    expect(switchCommand('/usr/local/sbin/counter-switch', '/opt/counter/releases/abc', true)).toBe('/usr/local/sbin/counter-switch --migrate /opt/counter/releases/abc');
    expect(switchCommand('/usr/local/sbin/counter-switch', '/opt/counter/releases/abc', false)).toBe('/usr/local/sbin/counter-switch /opt/counter/releases/abc');
  });

  it('env file: first db host, user, password, database, port; 0640 root:app (the app cannot change what root reads)', async () => {
    const { content, script } = await written(appOn(lab, 'app-01'), '/etc/counter/env');
    expect(content).toContain('BIND_ADDRESS="10.77.0.31"\nPORT="3000"');
    expect(content).toContain('DB_HOST="10.77.0.41"\nDB_PORT="3306"\nDB_NAME="scaleup"\nDB_USER="app"');
    expect(content).toContain('DB_PASSWORD="app-pa\\$\\$\'word\\"\\`x\\`"');
    expect(script).toContain('chown root:counter /proc/self/fd/9');
    expect(script).toContain('chmod 0640 /proc/self/fd/9');
  });

  it('systemd: a unit restarting on failure; daemon-reload is notified before the restart', async () => {
    const run = appOn(lab, 'app-01');
    const { content } = await written(run, '/etc/systemd/system/counter.service');
    expect(content).toContain('Restart=on-failure');
    expect(content).toContain('User=counter');
    expect(content).toContain('EnvironmentFile=/etc/counter/env');
    expect(content).toContain('WorkingDirectory=/opt/counter/current');
    expect(content).toContain('ExecStart=/bin/sh -c "exec node server.js"');
    expect(stepNamed(run, 'template /etc/systemd/system/counter.service').notify).toEqual(['reload systemd', 'restart app']);
    const names = run.steps.map((s) => s.name);
    expect(names.indexOf('template /etc/systemd/system/counter.service')).toBeLessThan(names.indexOf(`deploy release ${release.id} of counter`));
    expect(Object.keys(run.handlers)).toEqual(['reload systemd', 'record release', 'restart app']);
    // The surge instance: the release `next` names, on app_surge_port, never restarted nor enabled.
    const surge = (await written(run, '/etc/systemd/system/counter-surge.service')).content;
    expect(surge).toContain('WorkingDirectory=/opt/counter/next');
    expect(surge).toContain('ExecStart=/usr/bin/env PORT=3001 /bin/sh -c "exec node server.js"');
    expect(surge).toContain('Restart=no');
    expect(surge).not.toContain('[Install]');
    expect(stepNamed(run, 'template /etc/systemd/system/counter-surge.service').notify).toEqual(['reload systemd']);
  });

  it('sysv: an init script with start-stop-daemon and a respawn wrapper, no unit', async () => {
    const run = appOn(lab, 'app-01', { initSystem: 'sysv' });
    const names = run.steps.map((s) => s.name);
    expect(names).not.toContain('template /etc/systemd/system/counter.service');
    const init = (await written(run, '/etc/init.d/counter')).content;
    expect(init.startsWith('#!/bin/sh\n')).toBe(true);
    expect(init).toContain('--background --make-pidfile --pidfile "$PIDFILE"');
    expect(init).toContain("WRAPPER='/usr/local/sbin/counter-respawn'");
    expect(init).toMatch(/status\)\n\s+# LSB/);
    const wrapper = (await written(run, '/usr/local/sbin/counter-respawn')).content;
    expect(wrapper.startsWith('#!/bin/sh\n')).toBe(true);
    expect(wrapper).toContain(". '/etc/counter/env'");
    expect(wrapper).toContain("(cd '/opt/counter/current' && exec /bin/sh -c 'exec node server.js') &");
    const surge = (await written(run, '/usr/local/sbin/counter-surge-respawn')).content;
    expect(surge).toContain('export PORT=3001');
    expect(surge).toContain("(cd '/opt/counter/next' && exec /bin/sh -c 'exec node server.js') &");
    expect((await written(run, '/etc/init.d/counter-surge')).content).toContain("PIDFILE='/run/counter-surge.pid'");
    expect(Object.keys(run.handlers)).toEqual(['record release', 'restart app']);
  });

  it('follows app_db_host when set', async () => {
    const inv = labInventory({ all: { app_db_host: '10.77.0.99' } });
    const { content } = await written(appOn(inv, 'app-01'), '/etc/counter/env');
    expect(content).toContain('DB_HOST="10.77.0.99"');
  });
});

describe('firewall', () => {
  it('each tier accepts its port only from the tier in front of it', async () => {
    const rule = async (host: string) => (await written(roleOn(firewall, scaled, host), '/etc/nftables.conf')).content;
    expect(await rule('web-01')).toContain('ip saddr { 10.77.0.11, 10.77.0.12 } tcp dport 80 accept');
    expect(await rule('app-02')).toContain('ip saddr { 10.77.0.21, 10.77.0.22 } tcp dport 3000 accept');
    const db = await rule('db-01');
    expect(db).toContain('ip saddr { 10.77.0.31, 10.77.0.32 } tcp dport 3306 accept');
    expect(db).toContain('policy drop;');
    expect(db).toContain('tcp dport 22 accept');
    expect(db).not.toContain('dport 80 ');
    const lb = await rule('lb-01');
    expect(lb).toContain('tcp dport 80 accept comment "http on the VIP from anyone"');
    expect(lb).toContain('ip saddr { 10.77.0.12 } ip protocol vrrp accept');
  });
});
