/** Migrations: split into statements correctly, applied once each, and the schema they leave works. */
import { openDatabase, type Database } from '../../service/storage/database';
import { migrate, splitStatements } from '../../service/storage/migrate';
import { MIGRATIONS } from '../../service/storage/migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';

test('statements split on line-ending semicolons, but not inside a dollar-quoted function body', () => {
  const sql = `
-- a comment line
CREATE TABLE a (x int);
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $function$
BEGIN
  PERFORM 1;
  RETURN 2;
END
$function$;
INSERT INTO a VALUES (1);`;
  expect(splitStatements(sql)).toEqual([
    'CREATE TABLE a (x int)',
    'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $function$\nBEGIN\n  PERFORM 1;\n  RETURN 2;\nEND\n$function$',
    'INSERT INTO a VALUES (1)',
  ]);
});

describe('on a database', () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await openDatabase({ databaseUrl: testDb.databaseUrl, dataDir: testDb.dataDir, poolMax: 2 });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  test('every migration applies once, and a second run applies none', async () => {
    expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
  });

  test('identity traits: written in one patch per identity, read back; a null value deletes a trait', async () => {
    const env = await environment(db, 'migrate_test_key');
    const write = (identifier: string, patch: object, contended = false) =>
      db.query('SELECT * FROM flagstack_write_identity_traits($1::int[], $2::text[], $3::jsonb[], $4::boolean[])', [
        [env],
        [identifier],
        [JSON.stringify(patch)],
        [contended],
      ]);
    // A write returns the identity's traits after it.
    expect(await write('ada', { plan: 'pro', gone: null })).toEqual([{ environment_id: env, identifier: 'ada', traits: { plan: 'pro' } }]);
    expect(await write('ada', { age: 36 })).toEqual([{ environment_id: env, identifier: 'ada', traits: { plan: 'pro', age: 36 } }]);
    expect(await write('ada', { plan: null }, true)).toEqual([{ environment_id: env, identifier: 'ada', traits: { age: 36 } }]);
    expect(
      await db.query('SELECT * FROM flagstack_read_identity_traits($1::int[], $2::text[])', [
        [env, env],
        ['ada', 'nobody'],
      ]),
    ).toEqual([{ environment_id: env, identifier: 'ada', traits: { age: 36 } }]);
  });

  test("the previous release's calls (migration 2's functions) keep working during a deploy", async () => {
    const env = await environment(db, 'previous_release_key');
    const write = (identifier: string, key: string, value: string | null) =>
      db.query(
        'SELECT * FROM flagstack_write_traits($1::int[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::int[], $7::text[])',
        [[env], [identifier], [key], [value], [false], [env], [identifier]],
      );
    // That release lays its own changes over what the write returns; now that already holds them.
    expect(await write('ada', 'plan', '"pro"')).toEqual([{ environment_id: env, identifier: 'ada', key: 'plan', value: 'pro' }]);
    await write('ada', 'age', '36');
    await write('ada', 'plan', null);
    expect(
      await db.query('SELECT * FROM flagstack_read_traits($1::int[], $2::text[])', [
        [env, env],
        ['ada', 'nobody'],
      ]),
    ).toEqual([{ environment_id: env, identifier: 'ada', key: 'age', value: 36 }]);
    const [{ id }] = await db.query<{ id: number }>("SELECT id FROM identities WHERE environment_id = $1 AND identifier = 'ada'", [env]);
    expect(await db.query('SELECT key, value FROM traits WHERE identity_id = $1', [id])).toEqual([{ key: 'age', value: 36 }]);
  });
});

test("migration 3 carries every identity's traits over from migration 1's trait table", async () => {
  const testDb = await createTestDatabase();
  const db = await openDatabase({ databaseUrl: testDb.databaseUrl, dataDir: testDb.dataDir, poolMax: 2 });
  try {
    expect(
      await migrate(
        db,
        MIGRATIONS.filter((m) => m.version < 3),
      ),
    ).toEqual([1, 2]);
    const env = await environment(db, 'carried_over_key');
    await db.query(
      `SELECT * FROM flagstack_write_traits($1::int[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::int[], $7::text[])`,
      [
        [env, env, env],
        ['ada', 'ada', 'bo'],
        ['age', 'plan', 'plan'],
        ['36', '"pro"', '"free"'],
        [false, false, false],
        [env, env],
        ['ada', 'bo'],
      ],
    );
    expect(
      await migrate(
        db,
        MIGRATIONS.filter((m) => m.version <= 3),
      ),
    ).toEqual([3]);
    expect(await db.query('SELECT identifier, traits FROM identities ORDER BY identifier')).toEqual([
      { identifier: 'ada', traits: { age: 36, plan: 'pro' } },
      { identifier: 'bo', traits: { plan: 'free' } },
    ]);
  } finally {
    await db.close();
    await testDb.drop();
  }
});

async function environment(db: Database, clientKey: string): Promise<number> {
  const [{ id: projectId }] = await db.query<{ id: number }>("INSERT INTO projects (name) VALUES ('p') RETURNING id");
  const [{ id }] = await db.query<{ id: number }>(
    "INSERT INTO environments (project_id, name, client_key) VALUES ($1, 'e', $2) RETURNING id",
    [projectId, clientKey],
  );
  return id;
}
