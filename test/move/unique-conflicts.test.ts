/**
 * A live move writes rows as the source holds them now, into a target that may still hold an older
 * state: a row that gave up a unique key (a feature renamed or deleted, its name taken by a new one)
 * must not stop the row that took it. clearUniqueConflicts clears such target rows; every table's
 * unique keys are listed, and the list is checked against the schema's unique indexes.
 */
import { openDatabase, type Database } from '../../service/storage/database';
import { migrate } from '../../service/storage/migrate';
import { clearUniqueConflicts, readRowsByKey, upsertRows } from '../../service/move/rows';
import { COPIED_TABLES, copiedTable } from '../../service/move/tables';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, poolMax: 2 });
  await migrate(db);
  await db.query(`INSERT INTO projects (id, name) VALUES (1, 'p')`);
  await db.query(`INSERT INTO environments (id, project_id, name, client_key) VALUES (1, 1, 'e', 'key_1')`);
  await db.query(`INSERT INTO features (id, project_id, name) VALUES (1, 1, 'banner')`);
});
afterAll(async () => {
  await db.close();
  await database.drop();
});

/** A row as the source would print it: the target's row with other values. */
async function rowLike(table: string, id: number, changes: Record<string, unknown>): Promise<string> {
  const [text] = (await readRowsByKey(db, copiedTable(table), [{ id }])).values();
  return JSON.stringify({ ...JSON.parse(text), ...changes });
}

it("clears a target row holding an incoming row's unique key under another id, and only that one", async () => {
  const recreated = await rowLike('features', 1, { id: 2 });
  await expect(db.transaction((tx) => upsertRows(tx, copiedTable('features'), [recreated]))).rejects.toMatchObject({ code: '23505' });
  const cleared = await db.transaction(async (tx) => {
    const count = await clearUniqueConflicts(tx, copiedTable('features'), [recreated]);
    await upsertRows(tx, copiedTable('features'), [recreated]);
    return count;
  });
  expect(cleared).toBe(1);
  expect(await db.query('SELECT id, name FROM features ORDER BY id')).toEqual([{ id: 2, name: 'banner' }]);
  // The same row again conflicts with nothing: it is itself.
  expect(await db.transaction((tx) => clearUniqueConflicts(tx, copiedTable('features'), [recreated]))).toBe(0);
});

it("matches feature_states' partial unique indexes by their columns, nulls equal", async () => {
  await db.query(`INSERT INTO features (id, project_id, name) VALUES (3, 1, 'other')`);
  // A feature's default state: segment and identity null, which the partial unique index compares.
  await db.query(`INSERT INTO feature_states (id, environment_id, feature_id, uuid) VALUES (1, 1, 2, 'u1')`);
  const replacement = await rowLike('feature_states', 1, { id: 5, uuid: 'u5' });
  const elsewhere = await rowLike('feature_states', 1, { id: 6, uuid: 'u6', feature_id: 3 });
  expect(await db.transaction((tx) => clearUniqueConflicts(tx, copiedTable('feature_states'), [replacement, elsewhere]))).toBe(1);
  expect(await db.query('SELECT id FROM feature_states')).toEqual([]);
});

it('lists every unique index of the copied tables', async () => {
  const indexes = await db.query<{ table: string; columns: string[] }>(
    `SELECT c.relname AS table, array_agg(a.attname::text ORDER BY k.ordinality) AS columns
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ordinality)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indisunique AND NOT i.indisprimary AND c.relname = ANY($1::text[])
      GROUP BY c.relname, i.indexrelid`,
    [COPIED_TABLES.map((table) => table.name)],
  );
  for (const { table, columns } of indexes) {
    // Each index's columns are covered by one listed key (feature_states' three by one set of four).
    const listed = copiedTable(table).unique ?? [];
    expect({ table, columns, covered: listed.some((key) => columns.every((column) => key.includes(column))) }).toEqual({
      table,
      columns,
      covered: true,
    });
  }
  expect(indexes.length).toBeGreaterThanOrEqual(7);
});
