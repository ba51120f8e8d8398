/**
 * A live move end to end, as an operator runs it between two stages: a source service on PGlite under
 * continuous load (flag reads, identity writes with traits, admin changes) moves to a target service
 * (on PostgreSQL when DATABASE_URL is set, else on a second PGlite) while a proxy, standing in for the
 * weighted DNS records, shifts traffic from one to the other: 1% → 10% → 50% → 100%, then the cut-over.
 *
 * No flag read fails at any step and no write is refused; every write that was acknowledged (a 2xx) is
 * in the target; a sample
 * of identities gets the same flags before and after; the source refuses writes afterwards, naming the
 * target. The write pause of the cut-over is printed.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/service';
import { SAMPLE_IDENTITIES, seedEnvironment, type SeededEnvironment } from '../support/seed';
import { usingPostgres } from '../support/database';
import { runMove } from './support';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends each request to the target with probability `share`%, else to the source, as weighted DNS records do. */
class SharingProxy {
  share = 0;
  readonly served = { source: 0, target: 0 };
  private readonly server: Server;
  url = '';

  constructor(
    private readonly source: string,
    private readonly target: string,
  ) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const toTarget = Math.random() * 100 < this.share;
        this.served[toTarget ? 'target' : 'source']++;
        void fetch((toTarget ? this.target : this.source) + request.url, {
          method: request.method,
          headers: forwardedHeaders(request.headers),
          body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
        }).then(
          async (answer) => {
            response.writeHead(answer.status, {
              'content-type': answer.headers.get('content-type') ?? 'application/json',
              'x-served-by': toTarget ? 'target' : 'source',
            });
            response.end(Buffer.from(await answer.arrayBuffer()));
          },
          (error: Error) => {
            response.writeHead(502, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ error: { code: 'PROXY', message: error.message } }));
          },
        );
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const forwardedHeaders = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(
    ['authorization', 'x-environment-key', 'x-api-key', 'content-type'].flatMap((name) =>
      typeof headers[name] === 'string' ? [[name, headers[name]]] : [],
    ),
  );

interface Outcome {
  readonly what: string;
  readonly status: number;
  readonly body: string;
  readonly servedBy: string | null;
}

/** The load: readers, trait writers and an admin writer, through the proxy until stopped. */
class Load {
  private stopped = false;
  readonly failedReads: Outcome[] = [];
  readonly refusedWrites: Outcome[] = [];
  reads = 0;
  /** The last acknowledged value of trait `n` per identity. */
  readonly acknowledgedTraits = new Map<string, number>();
  /** Features whose creation was acknowledged, and the last acknowledged value of `ratio`. */
  readonly acknowledgedFeatures: string[] = [];
  acknowledgedRatio: number | undefined;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly url: string,
    private readonly env: SeededEnvironment,
  ) {}

  start(): void {
    this.loops = [this.reader(0), this.reader(1), this.traitWriter(0), this.traitWriter(1), this.adminWriter()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async call(what: string, method: string, path: string, body?: unknown, admin = false): Promise<Outcome> {
    const headers: Record<string, string> = admin
      ? { authorization: `Bearer ${ADMIN_TOKEN}` }
      : { 'x-environment-key': this.env.clientKey, 'x-api-key': this.env.clientKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const answer = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { what, status: answer.status, body: await answer.text(), servedBy: answer.headers.get('x-served-by') };
    } catch (error) {
      return { what, status: 0, body: (error as Error).message, servedBy: null };
    }
  }

  private async reader(which: number): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const identifier = SAMPLE_IDENTITIES[(i + which) % SAMPLE_IDENTITIES.length].identifier;
      const outcome = await [
        () => this.call('flags', 'GET', '/api/v1/flags/'),
        () => this.call('identity', 'GET', `/api/v1/identities/?identifier=${encodeURIComponent(identifier)}`),
        () => this.call('ofrep', 'POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: identifier } }),
      ][i % 3]();
      this.reads++;
      if (outcome.status !== 200) this.failedReads.push(outcome);
    }
  }

  private async traitWriter(which: number): Promise<void> {
    for (let value = 1; !this.stopped; value++) {
      const identifier = `writer-${which}-${value % 7}`;
      const outcome = await this.call('trait write', 'POST', '/api/v1/identities/', {
        identifier,
        traits: [
          { trait_key: 'n', trait_value: value },
          { trait_key: 'plan', trait_value: value % 2 ? 'pro' : 'free' },
        ],
      });
      if (outcome.status === 200) this.acknowledgedTraits.set(identifier, value);
      else this.refusedWrites.push(outcome);
    }
  }

  private async adminWriter(): Promise<void> {
    for (let i = 1; !this.stopped; i++) {
      const outcome =
        i % 4 === 0
          ? await this.call('create feature', 'POST', `/api/v1/admin/projects/${this.env.projectId}/features`, { name: `churn_${i}` }, true)
          : await this.call(
              'update state',
              'PATCH',
              `/api/v1/admin/environments/${this.env.clientKey}/feature-states/ratio`,
              { value: i },
              true,
            );
      if (outcome.status >= 300) this.refusedWrites.push(outcome);
      else if (i % 4 === 0) this.acknowledgedFeatures.push(`churn_${i}`);
      else this.acknowledgedRatio = i;
      await sleep(20);
    }
  }
}

/** The seeded features' flags for each sample identity, as a service answers them (`ratio` churns during the move). */
async function sampleFlags(service: TestService, env: SeededEnvironment): Promise<Record<string, unknown>> {
  const sample: Record<string, unknown> = {};
  for (const { identifier } of SAMPLE_IDENTITIES) {
    const { status, body } = await service.call<{ flags: { feature: { name: string }; enabled: boolean; feature_state_value: unknown }[] }>(
      'GET',
      `/api/v1/identities/?identifier=${encodeURIComponent(identifier)}`,
      { headers: { 'x-environment-key': env.serverKey } },
    );
    expect(status).toBe(200);
    sample[identifier] = body.flags
      .filter((flag) => flag.feature.name in env.featureIds && flag.feature.name !== 'ratio')
      .map((flag) => [flag.feature.name, flag.enabled, flag.feature_state_value])
      .sort();
  }
  return sample;
}

async function waitUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

describe(`a live move from PGlite to ${usingPostgres() ? 'PostgreSQL' : 'a second PGlite (set DATABASE_URL for PostgreSQL)'} under load`, () => {
  let source: TestService;
  let target: TestService;
  let proxy: SharingProxy;
  let load: Load | undefined;

  afterAll(async () => {
    await load?.stop();
    await proxy?.stop();
    await source?.stop();
    await target?.stop();
  });

  it('shifts traffic step by step with no failed read and no lost acknowledged write', async () => {
    source = await startTestService({}, { embedded: true });
    target = await startTestService();
    const env = await seedEnvironment(source);
    for (const { identifier, traits } of SAMPLE_IDENTITIES) {
      const posted = await source.call('POST', '/api/v1/identities/', {
        headers: { 'x-environment-key': env.clientKey },
        body: { identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) },
      });
      expect(posted.status).toBe(200);
    }
    const before = await sampleFlags(source, env);

    proxy = new SharingProxy(source.url, target.url);
    await proxy.start();
    load = new Load(proxy.url, env);
    load.start();
    await sleep(500);

    // As the runbook says: npm run move -- live, which returns once the target is level. (An embedded
    // target is one process's alone, so the test's own process starts that move.)
    const serviceArgs = ['--source-service', source.url, '--admin-token', ADMIN_TOKEN];
    if (target.database.databaseUrl) {
      const live = await runMove(['live', ...serviceArgs, '--target-endpoint', target.url, '--source-endpoint', source.url], {
        env: { FLAGSTACK_MOVE_TARGET_URL: target.database.databaseUrl },
      });
      expect({ code: live.code, stderr: live.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('ready to cut over') });
    } else {
      await source.service.moves.start(target.service.db, 'embedded target', { targetEndpoint: target.url, sourceEndpoint: source.url });
    }
    const ready = await waitUntil(
      () => source.admin('GET', '/moves/current'),
      (answer) => answer.body.readyToCutOver === true,
      'the target to catch up',
    );
    expect(ready.body).toMatchObject({ phase: 'catching-up', verified: true });

    // The runbook's order: all traffic moves while the target is a replica (its writes go to the
    // source), then the cut-over, then the target on its own.
    for (const share of [1, 10, 50, 100]) {
      proxy.share = share;
      await sleep(1500);
    }
    const cutOver = await runMove(['cut-over', ...serviceArgs]);
    expect({ code: cutOver.code, stdout: cutOver.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/writes paused for \d+ ms/) });
    await sleep(1500);
    await load.stop();

    const moved = await source.admin('GET', '/moves/current');
    expect(moved.body.phase).toBe('moved');
    const { pauseMs, appliedChanges, copiedRows } = moved.body;
    console.log(
      `live move: write pause ${pauseMs} ms; ${copiedRows} rows copied, ${appliedChanges} changes caught up; ` +
        `${load.reads} reads (${proxy.served.target} requests to the target, ${proxy.served.source} to the source), ` +
        `${load.acknowledgedTraits.size} identities written, ${load.refusedWrites.length} writes refused`,
    );
    expect(typeof pauseMs).toBe('number');
    expect(load.failedReads).toEqual([]);
    expect(load.refusedWrites).toEqual([]);
    expect(load.reads).toBeGreaterThan(100);
    expect(proxy.served.target).toBeGreaterThan(0);

    // Every acknowledged write is in the target: each identity's trait at least the last acknowledged value
    // (a later write may have landed after its answer was lost), the features, the state's value.
    for (const [identifier, value] of load.acknowledgedTraits) {
      const { body } = await target.admin('GET', `/environments/${env.clientKey}/identities/${identifier}`);
      expect({ identifier, n: body.traits?.n }).toEqual({ identifier, n: expect.any(Number) });
      expect(body.traits.n).toBeGreaterThanOrEqual(value);
    }
    const features = await target.admin('GET', `/projects/${env.projectId}/features`);
    const names = new Set((features.body as { name: string }[]).map((feature) => feature.name));
    expect(load.acknowledgedFeatures.filter((name) => !names.has(name))).toEqual([]);
    const ratio = await target.admin('GET', `/environments/${env.clientKey}/feature-states/ratio`);
    expect(ratio.body.value).toBeGreaterThanOrEqual(load.acknowledgedRatio ?? 0);

    expect(await sampleFlags(target, env)).toEqual(before);

    // The source still answers reads, from memory, and refuses writes, naming the target.
    expect((await source.call('GET', '/api/v1/flags/', { headers: { 'x-environment-key': env.clientKey } })).status).toBe(200);
    const refused = await source.call('POST', '/api/v1/identities/', {
      headers: { 'x-environment-key': env.clientKey },
      body: { identifier: 'late', traits: [{ trait_key: 'n', trait_value: 1 }] },
    });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'MOVED', movedTo: target.url });
    expect(refused.headers.get('x-flagstack-moved-to')).toBe(target.url);
    const refusedAdmin = await source.admin('POST', `/projects/${env.projectId}/features`, { name: 'too_late' });
    expect(refusedAdmin.status).toBe(503);
    // The target takes writes itself now.
    const accepted = await target.call('POST', '/api/v1/identities/', {
      headers: { 'x-environment-key': env.clientKey },
      body: { identifier: 'late', traits: [{ trait_key: 'n', trait_value: 1 }] },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('x-flagstack-forwarded-to')).toBeNull();
  });
});
