// Starts unleash-server on the given PostgreSQL database with authentication off; prints its port.
// Usage: node start-unleash.js <postgres url> <port>
const unleash = require('unleash-server');

const [url, port] = process.argv.slice(2);
const db = new URL(url);
unleash
  .start({
    db: { host: db.hostname, port: Number(db.port || 5432), user: decodeURIComponent(db.username), password: decodeURIComponent(db.password), database: db.pathname.slice(1), ssl: false },
    server: { port: Number(port) },
    authentication: { type: 'none' },
    logLevel: 'error',
  })
  .then(() => console.log(JSON.stringify({ port: Number(port) })))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
process.on('SIGTERM', () => process.exit(0));
