/** Trait writes are batched (many identities per statement) yet committed before they resolve. */
import { openDatabase, type Database, type Queryable } from '../../service/storage/database';
import { migrate } from '../../service/storage/migrate';
import { DEFAULT_IDENTITY_BOUNDS } from '../../service/shared-settings';
import { TraitStore, traitsJsonBytes, type TraitWrite } from '../../service/storage/traits';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';

let testDb: TestDatabase;
let db: Database;
let statements: string[];
let environmentId: number;

/** The real database, with every statement it runs recorded. */
function recording(inner: Database): Database {
  const record = (target: Queryable): Queryable => ({
    query: (sql, params) => {
      statements.push(sql.trim().split(/\s+/).slice(0, 3).join(' '));
      return target.query(sql, params);
    },
  });
  return { ...inner, query: record(inner).query, transaction: (work) => inner.transaction((tx) => work(record(tx))) };
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ databaseUrl: testDb.databaseUrl, dataDir: testDb.dataDir, poolMax: 4 });
  await migrate(db);
  const [project] = await db.query<{ id: number }>("INSERT INTO projects (name) VALUES ('p') RETURNING id");
  [{ id: environmentId }] = await db.query<{ id: number }>(
    "INSERT INTO environments (project_id, name, client_key) VALUES ($1, 'e', 'traits_test_key') RETURNING id",
    [project.id],
  );
});
afterAll(async () => {
  await db.close();
  await testDb.drop();
});
beforeEach(() => (statements = []));

test('200 concurrent writes for 200 identities take one statement', async () => {
  const store = new TraitStore(recording(db), { batchWindowMs: 20, bounds: DEFAULT_IDENTITY_BOUNDS });
  await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      store.write(
        { environmentId, identifier: `id-${i}` },
        new Map<string, string | number | null>([
          ['n', i],
          ['s', `v${i}`],
        ]),
      ),
    ),
  );
  expect(statements).toHaveLength(1);
  // Resolved means committed: another connection sees every row.
  const [{ n }] = await db.query<{ n: number }>(
    "SELECT sum((SELECT count(*) FROM jsonb_object_keys(traits)))::int AS n FROM identities WHERE identifier LIKE 'id-%'",
  );
  expect(n).toBe(400);
});

test('within a batch the later write to the same trait wins; null deletes', async () => {
  const store = new TraitStore(db, { batchWindowMs: 20, bounds: DEFAULT_IDENTITY_BOUNDS });
  const ref = { environmentId, identifier: 'same' };
  await Promise.all([
    store.write(
      ref,
      new Map<string, number | null>([
        ['a', 1],
        ['b', 1],
      ]),
    ),
    store.write(ref, new Map<string, number | null>([['a', 2]])),
  ]);
  // A write resolves with all of the identity's traits: those stored before and its own changes.
  expect(
    Object.fromEntries(
      await store.write(
        ref,
        new Map<string, number | null>([
          ['b', null],
          ['c', 3],
        ]),
      ),
    ),
  ).toEqual({ a: 2, c: 3 });
  expect(Object.fromEntries(await readTraits(store, ref))).toEqual({ a: 2, c: 3 });
});

test('resending unchanged traits writes nothing, not even a row lock; a changed one is written', async () => {
  const store = new TraitStore(db, { batchWindowMs: 1, bounds: DEFAULT_IDENTITY_BOUNDS });
  const ref = { environmentId, identifier: 'resent' };
  const traits = new Map<string, string | number>([
    ['plan', 'pro'],
    ['age', 36],
  ]);
  await store.write(ref, traits);
  // xmin names the transaction that wrote a row version, xmax the last one that locked or deleted it.
  const version = async () =>
    (await db.query<{ xmin: string; xmax: string }>("SELECT xmin::text, xmax::text FROM identities WHERE identifier = 'resent'"))[0];
  const before = await version();
  expect(Object.fromEntries(await store.write(ref, traits))).toEqual({ plan: 'pro', age: 36 });
  expect(await version()).toEqual(before);

  expect(
    Object.fromEntries(
      await store.write(
        ref,
        new Map<string, string | number>([
          ['plan', 'pro'],
          ['age', 37],
        ]),
      ),
    ),
  ).toEqual({
    plan: 'pro',
    age: 37,
  });
  expect((await version()).xmin).not.toBe(before.xmin);
});

test('a trait named like an object property is a trait like any other', async () => {
  const store = new TraitStore(db, { batchWindowMs: 1, bounds: DEFAULT_IDENTITY_BOUNDS });
  const ref = { environmentId, identifier: 'prototype' };
  const written = await store.write(
    ref,
    new Map<string, string>([
      ['__proto__', 'a'],
      ['constructor', 'b'],
    ]),
  );
  expect([...written]).toEqual(
    expect.arrayContaining([
      ['__proto__', 'a'],
      ['constructor', 'b'],
    ]),
  );
  expect([...(await readTraits(store, ref))].sort()).toEqual([
    ['__proto__', 'a'],
    ['constructor', 'b'],
  ]);
});

// PGlite has one connection: a held transaction there holds every other statement too.
(usingPostgres() ? test : test.skip)(
  'a later write to an identity waits for an earlier batch still committing, and lands after it',
  async () => {
    let slowNext = false;
    let started!: () => void;
    let release!: () => void;
    const statementRan = new Promise<void>((resolve) => (started = resolve));
    const commitHeld = new Promise<void>((resolve) => (release = resolve));
    let writeStatements = 0;
    // The armed batch's statement runs in a transaction the test holds open: a slow commit.
    const slow: Database = {
      ...db,
      query: <Row>(sql: string, params?: readonly unknown[]) => {
        if (sql.includes('flagstack_write_bounded_identity_traits')) writeStatements++;
        if (!slowNext || !sql.includes('flagstack_write_bounded_identity_traits')) return db.query<Row>(sql, params);
        slowNext = false;
        return db.transaction(async (tx) => {
          const rows = await tx.query<Row>(sql, params);
          started();
          await commitHeld;
          return rows;
        });
      },
    };
    const store = new TraitStore(slow, { batchWindowMs: 1, bounds: DEFAULT_IDENTITY_BOUNDS });
    const ref = { environmentId, identifier: 'overtaken' };
    await store.write(ref, new Map([['plan', 'X']]));
    slowNext = true;
    const first = store.write(ref, new Map([['plan', 'Y']]));
    await statementRan;
    // Unchanged as far as a snapshot taken now shows, but the batch in flight is changing it; another
    // identity in the same window is not held up.
    const second = store.write(ref, new Map([['plan', 'X']]));
    const other = store.write({ environmentId, identifier: 'not-overtaken' }, new Map([['plan', 'Z']]));
    expect(Object.fromEntries(await other)).toEqual({ plan: 'Z' });
    expect(writeStatements).toBe(3); // X, Y (held), Z: the second write to 'overtaken' has not been sent
    release();
    await Promise.all([first, second]);
    expect(writeStatements).toBe(4);
    expect(Object.fromEntries(await readTraits(store, ref))).toEqual({ plan: 'X' });
  },
);

test('writes to one identity keep their order while a batch is written again in halves', async () => {
  // The half that rewrites 'old' is slow, so a newer write would overtake it if it did not wait.
  const slowHalf: Database = {
    ...db,
    query: async <Row>(sql: string, params?: readonly unknown[]) => {
      const identifiers = params?.[1] as string[] | undefined;
      if (
        sql.includes('flagstack_write_bounded_identity_traits') &&
        identifiers?.length === 1 &&
        identifiers[0] === 'ordered' &&
        String(params?.[2]).includes('old')
      ) {
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      return db.query<Row>(sql, params);
    },
  };
  const store = new TraitStore(slowHalf, { batchWindowMs: 20, bounds: DEFAULT_IDENTITY_BOUNDS });
  const ref = { environmentId, identifier: 'ordered' };
  // A batch with a row the database refuses goes into halves; the next write to 'ordered' waits for them.
  const poisoned = Promise.allSettled([
    store.write(ref, new Map([['plan', 'old']])),
    store.write({ environmentId, identifier: 'poison-order' }, new Map([['k', 'a\u0000b']])),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const newer = store.write(ref, new Map([['plan', 'new']]));
  const settled = [...(await poisoned), ...(await Promise.allSettled([newer]))];
  expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ statusCode: 400, code: 'TRAITS_NOT_STORED' });
  expect(Object.fromEntries(await readTraits(store, ref))).toEqual({ plan: 'new' });
});

test('reads issued together become one query', async () => {
  const store = new TraitStore(recording(db), { batchWindowMs: 1, bounds: DEFAULT_IDENTITY_BOUNDS });
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => readTraits(store, { environmentId, identifier: `id-${i}` })));
  expect(statements).toHaveLength(1);
  expect(results[7].get('n')).toBe(7);
  expect(results[7].get('s')).toBe('v7');
});

describe('one bad write fails only its writer', () => {
  // Text PostgreSQL refuses (the HTTP schemas stop it first; here it stands for any row the database
  // refuses), and a write for an environment that no longer exists.
  const poisons: Array<[string, TraitWrite]> = [
    ['a NUL character', { environmentId: 0, identifier: 'nul', traits: new Map([['k', 'a\u0000b']]) }],
    ['a lone surrogate', { environmentId: 0, identifier: 'surrogate', traits: new Map([['k', '\ud800']]) }],
    ['a deleted environment', { environmentId: 999_999, identifier: 'orphan', traits: new Map([['k', 1]]) }],
  ];

  test.each(poisons)('%s among 399 honest writes: the honest ones are stored, in few statements', async (_, poison) => {
    const store = new TraitStore(recording(db), { batchWindowMs: 20, bounds: DEFAULT_IDENTITY_BOUNDS });
    const honest = Array.from({ length: 399 }, (_, i) => ({
      environmentId,
      identifier: `honest-${poison.identifier}-${i}`,
      traits: new Map([['n', i]]),
    }));
    const bad = { ...poison, environmentId: poison.environmentId || environmentId };
    const writes = [...honest.slice(0, 200), bad, ...honest.slice(200)].map((write) => store.write(write, write.traits));
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(results[200].status).toBe('rejected');
    // Halving isolates the one bad write in about log2(400) rounds, not one statement per write.
    expect(statements.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(400)) + 1);
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM identities WHERE identifier LIKE $1', [
      `honest-${poison.identifier}-%`,
    ]);
    expect(n).toBe(399);
    expect(await readTraits(store, bad)).toEqual(new Map());
  });

  test('a connection failure still fails the whole batch at once (nothing to isolate)', async () => {
    const down: Database = {
      ...db,
      query: async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    };
    const store = new TraitStore(down, { batchWindowMs: 20, bounds: DEFAULT_IDENTITY_BOUNDS });
    const results = await Promise.allSettled(
      [1, 2, 3].map((i) => store.write({ environmentId, identifier: `down-${i}` }, new Map([['k', i]]))),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });
});

describe('bounds per identity', () => {
  const bounds = { maxTraits: 5, maxBytes: 200 };

  test('a write past a bound fails its writer alone with a 400 naming the bound, and stores nothing', async () => {
    const store = new TraitStore(db, { batchWindowMs: 20, bounds });
    const ref = { environmentId, identifier: 'bounded' };
    await store.write(
      ref,
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    const [tooMany, tooBig, fine] = await Promise.allSettled([
      store.write(
        ref,
        new Map([
          ['c', 3],
          ['d', 4],
          ['e', 5],
          ['f', 6],
        ]),
      ),
      store.write({ environmentId, identifier: 'bounded-big' }, new Map([['text', 'x'.repeat(300)]])),
      store.write({ environmentId, identifier: 'bounded-fine' }, new Map([['text', 'x'.repeat(100)]])),
    ]);
    expect(tooMany).toMatchObject({ status: 'rejected', reason: { statusCode: 400, code: 'TRAIT_LIMIT_EXCEEDED' } });
    expect((tooMany as PromiseRejectedResult).reason.message).toMatch(/"bounded" would hold 6 traits; at most 5/);
    expect(tooBig).toMatchObject({ status: 'rejected', reason: { statusCode: 400 } });
    expect((tooBig as PromiseRejectedResult).reason.message).toMatch(/would hold 312 bytes of traits; at most 200/);
    expect(fine.status).toBe('fulfilled');
    expect(Object.fromEntries(await readTraits(store, ref))).toEqual({ a: 1, b: 2 });
    expect((await readTraits(store, { environmentId, identifier: 'bounded-big' })).size).toBe(0);
  });

  test('of two writes to one identity that together pass a bound, the first is stored and the second refused', async () => {
    const store = new TraitStore(db, { batchWindowMs: 20, bounds });
    const ref = { environmentId, identifier: 'bounded-pair' };
    const [first, second] = await Promise.allSettled([
      store.write(
        ref,
        new Map([
          ['a', 1],
          ['b', 2],
          ['c', 3],
        ]),
      ),
      store.write(
        ref,
        new Map([
          ['d', 4],
          ['e', 5],
          ['f', 6],
        ]),
      ),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(Object.fromEntries(await readTraits(store, ref))).toEqual({ a: 1, b: 2, c: 3 });
  });

  test("the size counted is PostgreSQL's own jsonb text, which the edge counts too", async () => {
    const samples: Array<Map<string, string | number | boolean>> = [
      new Map(),
      new Map([['a', 1]]),
      new Map<string, string | number | boolean>([
        ['plan', 'pro'],
        ['age', 36.5],
        ['beta', true],
        ['quote"d', 'line\nbreak'],
        ['é', 'ünïcode ✓'],
        ['ctl', '\u0001'],
      ]),
    ];
    for (const traits of samples) {
      const [{ bytes }] = await db.query<{ bytes: number }>('SELECT octet_length($1::jsonb::text) AS bytes', [
        JSON.stringify(Object.fromEntries(traits)),
      ]);
      expect(traitsJsonBytes(traits)).toBe(bytes);
    }
  });
});

test('drain writes what is queued before resolving', async () => {
  const store = new TraitStore(db, { batchWindowMs: 10_000, bounds: DEFAULT_IDENTITY_BOUNDS });
  const write = store.write({ environmentId, identifier: 'drained' }, new Map([['k', 'v']]));
  expect(store.pending).toBe(1);
  await store.drain();
  await write;
  expect(Object.fromEntries(await readTraits(store, { environmentId, identifier: 'drained' }))).toEqual({ k: 'v' });
});

/** The stored traits (the store is always up here). */
async function readTraits(store: TraitStore, ref: { environmentId: number; identifier: string }) {
  return (await store.read(ref))!;
}
