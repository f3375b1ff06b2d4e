// MySQL for the app tier: MariaDB on Debian (MySQL on Ubuntu), listening on the private address only,
// secured like mysql_secure_installation, with the app database and one account per app host.
import { defineRole, file, pkg, service } from 'scaleup';
import { secretVar } from '../lib/secret-value.ts';
import { mysqlPlatform, mysqlTemplateVars, mysqlVariables, validateMysql } from './vars.ts';
import { mysqlAppUsers, mysqlDatabase, mysqlSecureInstallation } from './sql-steps.ts';

export default defineRole({
  name: 'mysql',
  description: 'MariaDB/MySQL on the private address, secured, with the app database and per-app-host accounts',
  variables: mysqlVariables,
  required: ['mysql_app_password'],
  steps(v, { host, facts, hostsIn }) {
    const p = mysqlPlatform(facts);
    const sql = { client: p.client, flavor: p.flavor };
    return [
      // Debian starts the server on install, bound to 127.0.0.1; the drop-in moves it at the restart.
      pkg.installed(p.packages),
      file.template({
        src: 'scaleup.cnf.ejs',
        dest: p.dropIn,
        mode: '0644',
        vars: mysqlTemplateVars(v, host),
        notify: ['restart mysql'],
      }),
      service.running(p.service),
      mysqlSecureInstallation(sql),
      mysqlDatabase({ ...sql, database: v.mysql_app_database, charset: v.mysql_character_set, collation: v.mysql_collation }),
      mysqlAppUsers({
        ...sql,
        user: v.mysql_app_user,
        hosts: hostsIn(v.app_group).map((h) => h.privateAddress),
        database: v.mysql_app_database,
        password: secretVar(v.mysql_app_password, 'mysql_app_password'),
      }),
    ];
  },
  handlers: (_v, { facts }) => ({ 'restart mysql': service.restarted(mysqlPlatform(facts).service) }),
  logs: (_v, { facts }) => [{ unit: mysqlPlatform(facts).service, files: ['/var/log/mysql/error.log'] }],
  validate: (inventory, hosts) => validateMysql(inventory, hosts),
});
