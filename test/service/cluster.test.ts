/** Cluster mode: WEB_CONCURRENCY workers share the port; the embedded database cannot be shared. */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { SERVER } from '../support/bundle';
import { createTestDatabase, usingPostgres } from '../support/database';

test('WEB_CONCURRENCY > 1 without DATABASE_URL stops with a message', () => {
  const result = spawnSync(process.execPath, [SERVER], { env: { PATH: process.env.PATH, WEB_CONCURRENCY: '2' }, encoding: 'utf8' });
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('WEB_CONCURRENCY > 1 needs DATABASE_URL');
});

(usingPostgres() ? test : test.skip)('two workers serve on one port, /metrics counts for both, and both stop on SIGTERM', async () => {
  const database = await createTestDatabase();
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH,
      WEB_CONCURRENCY: '2',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.databaseUrl,
      LOG_LEVEL: 'info',
    },
  });
  let logs = '';
  child.stdout.on('data', (chunk) => (logs += chunk));
  try {
    // Each worker logs its requests with its own pid; new connections are spread across the workers.
    const servingPids = () =>
      new Set(
        logs
          .split('\n')
          .filter((line) => line.includes('"req"'))
          .map((line) => JSON.parse(line).pid),
      );
    let healthChecks = 0;
    for (let attempt = 0; attempt < 400 && servingPids().size < 2; attempt++) {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { headers: { connection: 'close' } }).catch(() => undefined);
      if (response?.status === 200) healthChecks++;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(servingPids().size).toBe(2);

    // Whichever worker a scrape lands on, it reports both workers' requests, summed by the primary.
    const pidsServing = (url: string) =>
      new Set(
        logs
          .split('\n')
          .filter((line) => line.includes(`"url":"${url}"`))
          .map((line) => JSON.parse(line).pid),
      );
    for (let scrape = 0; scrape < 40 && pidsServing('/metrics').size < 2; scrape++) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } });
      expect(response.status).toBe(200);
      const text = await response.text();
      const health = (name: string) =>
        Number(new RegExp(`^${name}\\{route="/health",method="GET",status="200"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      expect(health('flagstack_http_requests_total')).toBe(healthChecks);
      expect(health('flagstack_http_request_duration_seconds_count')).toBe(healthChecks);
    }
    expect(pidsServing('/metrics').size).toBe(2);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await database.drop();
  }
});
