'use strict';
// The scale-up sample app: a visit counter in MySQL, served through HAProxy → nginx → here.
// Plain Node (http) and Debian's node-mysql package, so the target needs no npm. Configuration comes
// from the environment (the service reads /etc/<app>/env).
const http = require('http');
const os = require('os');
const mysql = require('mysql');

const config = {
  bindAddress: process.env.BIND_ADDRESS || '127.0.0.1',
  port: Number(process.env.PORT || 3000),
  db: {
    host: process.env.DB_HOST || '127.0.0.1',
    port: Number(process.env.DB_PORT || 3306),
    user: process.env.DB_USER || 'app',
    password: process.env.DB_PASSWORD || '',
    database: process.env.DB_NAME || 'scaleup',
    connectionLimit: Number(process.env.DB_POOL_SIZE || 10),
    // Fail fast while the database is down: /healthz must answer 503 quickly, not hang.
    connectTimeout: 3000,
    acquireTimeout: 3000,
    charset: 'utf8mb4_unicode_ci',
  },
};

// A pool drops connections that fail (e.g. after a database restart) and opens new ones on demand,
// so the app recovers by itself once the database is back.
const pool = mysql.createPool(config.db);

function query(sql, values) {
  return new Promise((resolve, reject) => {
    pool.query({ sql, values, timeout: 5000 }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

// The table is created on first use; retried on the next request if the database was down.
let schemaReady = null;
function ensureSchema() {
  if (!schemaReady) {
    schemaReady = query(
      'CREATE TABLE IF NOT EXISTS counters (' +
        ' name VARCHAR(64) NOT NULL PRIMARY KEY,' +
        ' hits BIGINT UNSIGNED NOT NULL,' +
        ' updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP' +
        ') ENGINE=InnoDB',
    ).catch((err) => {
      schemaReady = null;
      throw err;
    });
  }
  return schemaReady;
}

/** Increments the visit counter and returns its new value, in one statement. */
async function countVisit() {
  await ensureSchema();
  // LAST_INSERT_ID(expr) makes the updated value the statement's insertId: no second query, no race.
  const result = await query(
    'INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(hits + 1)',
    ['visits'],
  );
  return result.insertId || 1;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(visits, host) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>scaleup counter</title>
  <link rel="stylesheet" href="/static/style.css">
</head>
<body>
  <main>
    <h1>scaleup</h1>
    <p class="visits">Visit number <strong id="visits">${visits}</strong></p>
    <p class="host">Served by app host <strong id="app-host">${escapeHtml(host)}</strong></p>
  </main>
</body>
</html>
`;
}

function send(res, status, type, body) {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-App-Host': os.hostname(),
  });
  res.end(body);
}

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

const server = http.createServer(async (req, res) => {
  const path = (req.url || '/').split('?')[0];
  try {
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      try {
        await query('SELECT 1');
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      } catch (err) {
        send(res, 503, 'text/plain; charset=utf-8', 'database unavailable\n');
      }
      return;
    }
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      const visits = await countVisit();
      send(res, 200, 'text/html; charset=utf-8', page(visits, os.hostname()));
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  } catch (err) {
    log(`${req.method} ${path}: ${err.code || err.message}`);
    send(res, 503, 'text/plain; charset=utf-8', 'database unavailable\n');
  }
});

// Longer than nginx's upstream keepalive timeout, so nginx never reuses a connection we are closing.
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;

server.listen(config.port, config.bindAddress, () => {
  log(`listening on ${config.bindAddress}:${config.port}, database ${config.db.host}:${config.db.port}/${config.db.database}`);
  ensureSchema().catch((err) => log(`database not ready yet: ${err.code || err.message}`));
});

function shutdown(signal) {
  log(`${signal}: shutting down`);
  server.close(() => pool.end(() => process.exit(0)));
  if (server.closeIdleConnections) server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
