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

  test("the trait functions read back what they wrote, and a null value deletes a trait", async () => {
    const [{ id: projectId }] = await db.query<{ id: number }>("INSERT INTO projects (name) VALUES ('p') RETURNING id");
    const [{ id: env }] = await db.query<{ id: number }>(
      "INSERT INTO environments (project_id, name, client_key) VALUES ($1, 'e', 'migrate_test_key') RETURNING id",
      [projectId],
    );
    const write = (identifier: string, key: string, value: string | null) =>
      db.query('SELECT * FROM flagstack_write_traits($1::int[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::int[], $7::text[])', [
        [env], [identifier], [key], [value], [false], [env], [identifier],
      ]);
    // The write returns the traits as they were before it.
    expect(await write('ada', 'plan', '"pro"')).toEqual([]);
    expect(await write('ada', 'age', '36')).toEqual([{ environment_id: env, identifier: 'ada', key: 'plan', value: 'pro' }]);
    await write('ada', 'plan', null);
    expect(await db.query('SELECT * FROM flagstack_read_traits($1::int[], $2::text[])', [[env, env], ['ada', 'nobody']])).toEqual([
      { environment_id: env, identifier: 'ada', key: 'age', value: 36 },
    ]);
  });
});
