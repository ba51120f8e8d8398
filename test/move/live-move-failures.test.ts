/**
 * A live move when things go wrong: the target unreachable during the catch-up, a cut-over that fails
 * half-way (rolled back: the source takes writes again, nothing acknowledged is lost, and a later
 * cut-over succeeds), and every request the admin API refuses (bad input, a schema mismatch, a target
 * holding other data, a second move).
 *
 * The first two cut the connection to a PostgreSQL target with a TCP proxy, so they need DATABASE_URL.
 */
import { MoveControl } from '../../service/admin/moves/operations';
import { Client } from 'pg';
import { openDatabase, type Database } from '../../service/storage/database';
import { migrate } from '../../service/storage/migrate';
import { MIGRATIONS } from '../../service/storage/migrations';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(service: TestService, done: (status: any) => boolean | Promise<boolean>, what: string): Promise<any> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const { body } = await service.admin('GET', '/moves/current');
    if (await done(body)) return body;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(body)}`);
    await sleep(100);
  }
}

const writeTrait = (service: TestService, env: SeededEnvironment, identifier: string, n: number) =>
  service.call('POST', '/api/v1/identities/', {
    headers: { 'x-environment-key': env.clientKey },
    body: { identifier, traits: [{ trait_key: 'n', trait_value: n }] },
  });

const withPostgres = usingPostgres() ? describe : describe.skip;
if (!usingPostgres()) {
  console.log('Skipping the live move failure tests: they cut a PostgreSQL connection; set DATABASE_URL to run them.');
}

withPostgres('a live move to PostgreSQL whose connection fails', () => {
  let source: TestService;
  let targetDatabase: TestDatabase;
  let proxy: TcpProxy;
  let target: Database;
  let env: SeededEnvironment;

  beforeEach(async () => {
    source = await startTestService({}, { embedded: true });
    env = await seedEnvironment(source);
    targetDatabase = await createTestDatabase();
    const url = new URL(targetDatabase.databaseUrl!);
    proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(await proxy.start());
    target = await openDatabase({ databaseUrl: url.toString(), dataDir: '', poolMax: 4, timeoutMs: 2000 });
    await migrate(target);
    await source.service.moves.start(target, 'target through a proxy', {
      targetEndpoint: 'http://target.invalid',
      sourceEndpoint: source.url,
    });
    await waitUntil(source, (status) => status.readyToCutOver, 'the copy to catch up');
  });

  afterEach(async () => {
    proxy.restore();
    await target.close();
    await proxy.close();
    await source.stop();
    await targetDatabase.drop();
  });

  it('keeps logging changes while the target is unreachable, refuses to cut over, and catches up when it returns', async () => {
    proxy.drop();
    for (let n = 1; n <= 5; n++) expect((await writeTrait(source, env, `during-outage-${n}`, n)).status).toBe(200);
    const failing = await waitUntil(source, (status) => /catch-up failed/.test(status.lastError ?? ''), 'a failed round');
    expect(failing.readyToCutOver).toBe(false);
    const refused = await source.admin('POST', '/moves/current/cut-over');
    expect(refused.status).toBe(409);

    proxy.restore();
    await waitUntil(source, (status) => status.readyToCutOver, 'the catch-up after the outage');
    const cutOver = await source.admin('POST', '/moves/current/cut-over');
    expect(cutOver.body).toMatchObject({ phase: 'moved' });
    for (let n = 1; n <= 5; n++) {
      const [row] = await target.query<{ traits: Record<string, unknown> }>('SELECT traits FROM identities WHERE identifier = $1', [
        `during-outage-${n}`,
      ]);
      expect(row?.traits).toEqual({ n });
    }
  });

  it('rolls a failed cut-over back: the source takes writes again, and a later cut-over carries them', async () => {
    proxy.drop();
    const failed = await source.admin('POST', '/moves/current/cut-over');
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('CUT_OVER_ROLLED_BACK');
    // Still the primary: writes land, and the move goes on.
    expect((await writeTrait(source, env, 'after-rollback', 7)).status).toBe(200);
    expect((await source.admin('GET', '/moves/current')).body.phase).toBe('catching-up');
    expect(await source.service.db.query(`SELECT state FROM moves WHERE role = 'source'`)).toEqual([{ state: 'capturing' }]);

    proxy.restore();
    await waitUntil(source, (status) => status.readyToCutOver, 'the catch-up after the rollback');
    expect((await source.admin('POST', '/moves/current/cut-over')).status).toBe(200);
    const [row] = await target.query<{ traits: Record<string, unknown> }>(
      `SELECT traits FROM identities WHERE identifier = 'after-rollback'`,
    );
    expect(row.traits).toEqual({ n: 7 });
    expect(await target.query(`SELECT state FROM moves WHERE role = 'target'`)).toEqual([{ state: 'primary' }]);
  });
});

withPostgres('a live move from a PostgreSQL source whose writers commit out of order', () => {
  it('applies a change whose transaction commits after a later-numbered one was applied', async () => {
    const source = await startTestService();
    const targetDatabase = await createTestDatabase();
    const target = await openDatabase({ databaseUrl: targetDatabase.databaseUrl, dataDir: '', poolMax: 4 });
    const slow = new Client({ connectionString: source.database.databaseUrl });
    try {
      const env = await seedEnvironment(source);
      for (const identifier of ['slow', 'quick']) expect((await writeTrait(source, env, identifier, 0)).status).toBe(200);
      await migrate(target);
      await source.service.moves.start(target, 'target', { targetEndpoint: 'http://target.invalid', sourceEndpoint: source.url });
      await waitUntil(source, (status) => status.readyToCutOver, 'the copy to catch up');

      // A writer takes its change's log number, then waits before committing; a later-numbered change
      // commits and is applied meanwhile.
      await slow.connect();
      await slow.query('BEGIN');
      await slow.query(`UPDATE identities SET traits = '{"n": 1}' WHERE identifier = 'slow'`);
      expect((await writeTrait(source, env, 'quick', 1)).status).toBe(200);
      await waitUntil(
        source,
        async () =>
          (await target.query<{ traits: { n?: number } }>(`SELECT traits FROM identities WHERE identifier = 'quick'`))[0]?.traits.n === 1,
        'the later change to be applied',
      );
      await slow.query('COMMIT');

      await waitUntil(source, (status) => status.readyToCutOver, 'the catch-up');
      expect((await source.admin('POST', '/moves/current/cut-over')).status).toBe(200);
      expect(await target.query(`SELECT traits FROM identities WHERE identifier = 'slow'`)).toEqual([{ traits: { n: 1 } }]);
    } finally {
      await slow.end().catch(() => undefined);
      await target.close();
      await source.stop();
      await targetDatabase.drop();
    }
  });
});

describe('a live move the admin API refuses', () => {
  let source: TestService;
  const opened: { db: Database; database: TestDatabase }[] = [];

  beforeAll(async () => {
    source = await startTestService({}, { embedded: true });
    await seedEnvironment(source);
  });

  afterAll(async () => {
    for (const { db, database } of opened) {
      await db.close();
      await database.drop();
    }
    await source.stop();
  });

  /** A second database, embedded (so these run anywhere), migrated to `versions` migrations. */
  async function otherDatabase(versions = MIGRATIONS.length): Promise<Database> {
    const database = await createTestDatabase({ embedded: true });
    const db = await openDatabase({ dataDir: database.dataDir, poolMax: 1 });
    await migrate(db, MIGRATIONS.slice(0, versions));
    opened.push({ db, database });
    return db;
  }

  const endpoints = { targetEndpoint: 'http://target.example', sourceEndpoint: 'http://source.example' };

  it('names the field and the allowed form of bad input', async () => {
    const notPostgres = await source.admin('POST', '/moves', { ...endpoints, target: 'mysql://db/flags' });
    expect(notPostgres.status).toBe(400);
    expect(notPostgres.body.error.message).toMatch(/target/);
    const noEndpoint = await source.admin('POST', '/moves', { target: 'postgres://127.0.0.1:1/x', targetEndpoint: 'http://t' });
    expect(noEndpoint.status).toBe(400);
    expect(noEndpoint.body.error.message).toMatch(/sourceEndpoint/);
    const badEndpoint = await source.admin('POST', '/moves', {
      ...endpoints,
      targetEndpoint: 'ftp://x',
      target: 'postgres://127.0.0.1:1/x',
    });
    expect(badEndpoint.status).toBe(400);
    expect(badEndpoint.body.error.message).toMatch(/targetEndpoint/);
  });

  it('says when the target does not answer, without its password', async () => {
    const unreachable = await source.admin('POST', '/moves', { ...endpoints, target: 'postgres://mover:s3cret@127.0.0.1:1/flags' });
    expect(unreachable.status).toBe(400);
    expect(unreachable.body.error.code).toBe('TARGET_UNREACHABLE');
    expect(unreachable.body.error.message).toContain('127.0.0.1:1');
    expect(unreachable.body.error.message).not.toContain('s3cret');
  });

  it('answers 404 to a cut-over with no move, and changes nothing', async () => {
    expect((await source.admin('POST', '/moves/current/cut-over')).status).toBe(404);
    expect((await source.admin('GET', '/moves/current')).status).toBe(404);
    expect(await source.service.db.query('SELECT * FROM moves')).toEqual([]);
  });

  it('refuses a target whose schema is at another version', async () => {
    const older = await otherDatabase(5);
    await expect(source.service.moves.start(older, 'older', endpoints)).rejects.toThrow(/version 6 and the target's at 5/);
    expect(await source.service.db.query('SELECT * FROM moves')).toEqual([]);
  });

  it('refuses a target that holds another instance’s data, and a second move while one runs', async () => {
    const foreign = await otherDatabase();
    await foreign.query(`INSERT INTO projects (name) VALUES ('someone else')`);
    await expect(source.service.moves.start(foreign, 'foreign', endpoints)).rejects.toThrow(/not empty \(projects has rows\)/);

    const empty = await otherDatabase();
    await source.service.moves.start(empty, 'empty', endpoints);
    await expect(source.service.moves.start(await otherDatabase(), 'another', endpoints)).rejects.toThrow(/abandon it first/);
    const abandoned = await source.admin('DELETE', '/moves/current');
    expect(abandoned.body.phase).toBe('abandoned');
    // Abandoning takes the capture triggers off again.
    expect(await source.service.db.query(`SELECT tgname FROM pg_trigger WHERE tgname LIKE 'flagstack_%'`)).toEqual([]);
  });

  it('stops a write that would loop: a replica whose source endpoint leads back to a replica', async () => {
    const env = (await source.admin('GET', '/projects')).body[0];
    const environments = (await source.admin('GET', `/projects/${env.id}/environments`)).body as { client_key: string }[];
    const write = () =>
      source.call('POST', '/api/v1/identities/', {
        headers: { 'x-environment-key': environments[0].client_key },
        body: { identifier: 'loop', traits: [{ trait_key: 'n', trait_value: 1 }] },
      });
    const announce = () => source.service.db.query(`SELECT pg_notify('flagstack_environment_changes', 'test:')`);
    // This service made a replica of itself: the operator's mistake the guard is for.
    await source.service.db.query(
      `INSERT INTO moves (role, peer, peer_name, endpoint, state) VALUES ('target', gen_random_uuid(), 'itself', $1, 'replica')`,
      [source.url],
    );
    await announce();
    await sleep(200);
    const looped = await write();
    expect(looped.status).toBe(508);
    expect(looped.body.error.code).toBe('FORWARDING_LOOP');
    await source.service.db.query(`DELETE FROM moves`);
    await announce();
    await sleep(200);
    expect((await write()).status).toBe(200);
  });

  it('abandons a move whose process is gone (the service restarted): the capture it left comes off', async () => {
    await source.service.moves.start(await otherDatabase(), 'left behind', endpoints);
    // What a restarted service holds: no move in memory, the capture still in the database. While the
    // move's record was marked alive lately, another process may be running it: refused.
    const restarted = new MoveControl(source.service.db, undefined);
    await expect(restarted.abandon()).rejects.toThrow(/running in another process/);
    await source.service.db.query(`UPDATE moves SET updated_at = now() - interval '1 minute' WHERE state = 'capturing'`);
    const abandoned = await restarted.abandon();
    expect(abandoned).toMatchObject({ phase: 'abandoned', target: 'left behind' });
    expect(await source.service.db.query(`SELECT tgname FROM pg_trigger WHERE tgname LIKE 'flagstack_%'`)).toEqual([]);
    expect(await source.service.db.query(`SELECT count(*)::int AS n FROM change_log`)).toEqual([{ n: 0 }]);
    await expect(restarted.abandon()).rejects.toThrow(/No move is running/);
    await source.service.moves.abandon();
  });
});
