/**
 * The baseline: a bare node:http server that answers every request with one pre-serialised JSON body
 * of a given size, with no routing, validation or evaluation. `node baseline.js <bytes>`; prints its port.
 */
import { createServer } from 'node:http';

const size = Number(process.argv[2] ?? 1000);
const body = Buffer.from(JSON.stringify({ padding: 'x'.repeat(Math.max(0, size - 14)) }));
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
