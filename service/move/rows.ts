/**
 * Reading and writing a copied table's rows as canonical JSON text, the form both ends share: the
 * database prints each row (`to_jsonb(t)::text`, timestamps in UTC) and takes it back
 * (`jsonb_populate_recordset`), so rows pass through this process as text, never parsed, and every
 * value (ids, hash keys, timestamps to the microsecond, jsonb traits) arrives exactly as it left.
 *
 * Keys travel as JSON too: a page's keys as arrays in key-column order ([5], or [1, "banner",
 * "2026-01-01T00:00:00+00:00"]), a row named by its key as an object ({"id": 5}).
 */
import { json, type Database, type Queryable } from '../storage/database';
import { COPIED_TABLES, type CopiedTable } from './tables';

const isDatabase = (db: Queryable): db is Database => typeof (db as Partial<Database>).transaction === 'function';

/**
 * Runs `work` with timestamps printed in UTC, so both sides print them identically: in a transaction
 * of its own when `db` is a Database, else in the caller's transaction (SET LOCAL lasts until it ends).
 */
export async function inUtc<T>(db: Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
  const run = async (tx: Queryable) => {
    await tx.query(`SET LOCAL TimeZone = 'UTC'`);
    return work(tx);
  };
  return isDatabase(db) ? db.transaction(run) : run(db);
}

/** Runs `work` in one read-only snapshot of `db`: every table as of one moment, however long the reading takes. */
export function inSnapshot<T>(db: Database, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return inUtc(tx, work);
  });
}

/** A key column as compared and ordered: text byte-wise, whatever the database's collation. */
const keyColumn = (table: CopiedTable, alias: string, column: string): string =>
  `${alias}.${column}${table.textKey?.includes(column) ? ' COLLATE "C"' : ''}`;
const keyTuple = (table: CopiedTable, alias: string): string =>
  `(${table.key.map((column) => keyColumn(table, alias, column)).join(', ')})`;
const keyOrder = (table: CopiedTable, alias: string, direction: 'ASC' | 'DESC' = 'ASC'): string =>
  table.key.map((column) => `${keyColumn(table, alias, column)} ${direction}`).join(', ');
const keyArray = (table: CopiedTable, alias: string): string =>
  `jsonb_build_array(${table.key.map((c) => `${alias}.${c}`).join(', ')})::text`;
/** The key tuple of the row a jsonb key object ($n) names, converted to the columns' own types by the database. */
const keyParameter = (table: CopiedTable, parameter: string): string =>
  `(SELECT ${table.key.map((column) => keyColumn(table, 'p', column)).join(', ')} FROM jsonb_populate_record(null::${table.name}, ${parameter}::jsonb) p)`;
const keyObject = (table: CopiedTable, key: readonly unknown[]): Record<string, unknown> =>
  Object.fromEntries(table.key.map((column, index) => [column, key[index]]));
/** A JSON array of row texts, for jsonb_populate_recordset: joined, not parsed. */
const rowArray = (texts: readonly string[]): string => `[${texts.join(',')}]`;

export interface RowPage {
  /** Each row's key, in key-column order. */
  keys: unknown[][];
  /** Each row's canonical JSON text. */
  texts: string[];
}

/**
 * The next `limit` rows of `table` in key order after the key `after` (from the start when undefined):
 * one page of a keyset scan. Pass a transaction (see inSnapshot) to read every page from one snapshot.
 */
export async function readRows(db: Queryable, table: CopiedTable, after: unknown[] | undefined, limit: number): Promise<RowPage> {
  const rows = await inUtc(db, (tx) =>
    tx.query<{ key: string; row: string }>(
      `SELECT ${keyArray(table, 't')} AS key, to_jsonb(t)::text AS row FROM ${table.name} t
        ${after ? `WHERE ${keyTuple(table, 't')} > ${keyParameter(table, '$2')}` : ''}
        ORDER BY ${keyOrder(table, 't')} LIMIT $1`,
      after ? [limit, json(keyObject(table, after))] : [limit],
    ),
  );
  return { keys: rows.map((row) => JSON.parse(row.key) as unknown[]), texts: rows.map((row) => row.row) };
}

/**
 * The rows of `table` that `keys` name (objects of the key columns: {"id": 5}), keyed by each key as
 * JSON.stringify prints the object given; a key whose row does not exist is absent from the map.
 */
export async function readRowsByKey(db: Queryable, table: CopiedTable, keys: Record<string, unknown>[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await inUtc(db, (tx) =>
    tx.query<{ position: number; row: string }>(
      `SELECT k.position::int AS position, to_jsonb(t)::text AS row
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS k(key, position)
        CROSS JOIN LATERAL jsonb_populate_record(null::${table.name}, k.key) p
         JOIN ${table.name} t ON ${keyTuple(table, 't')} = ${keyTuple(table, 'p')}`,
      [json(keys)],
    ),
  );
  return new Map(rows.map((row) => [JSON.stringify(keys[row.position - 1]), row.row]));
}

interface Column {
  name: string;
  jsonb: boolean;
}

/** The table's columns, in their order. */
async function columnsOf(tx: Queryable, table: CopiedTable): Promise<Column[]> {
  return tx.query<Column>(
    `SELECT attname AS name, atttypid = 'jsonb'::regtype AS jsonb
       FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table.name],
  );
}

/**
 * A column's value in a row read back from its text. A row's text prints a jsonb null and an SQL null
 * alike, and reading it back gives an SQL null: there it is the jsonb null, which is what the service
 * writes in every jsonb column (a flag's null value, an audit entry's empty `before`), never SQL null.
 */
const readBack = (column: Column): string => (column.jsonb ? `coalesce(r.${column.name}, 'null'::jsonb)` : `r.${column.name}`);

/**
 * Inserts the rows, or updates those whose key exists and whose content differs; a row already equal
 * is not touched (no new row version), so writing the same rows again changes nothing. Returns how
 * many rows were inserted or updated.
 */
export async function upsertRows(tx: Queryable, table: CopiedTable, texts: readonly string[]): Promise<number> {
  if (texts.length === 0) return 0;
  const columns = await columnsOf(tx, table);
  const updated = columns.filter((column) => !table.key.includes(column.name));
  const [{ written }] = await tx.query<{ written: number }>(
    `WITH written AS (
       INSERT INTO ${table.name} AS target (${columns.map((column) => column.name).join(', ')})
       SELECT ${columns.map(readBack).join(', ')} FROM jsonb_populate_recordset(null::${table.name}, $1::jsonb) r
       ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updated.map(({ name }) => `${name} = EXCLUDED.${name}`).join(', ')}
       WHERE (target.*) IS DISTINCT FROM (EXCLUDED.*)
       RETURNING 1)
     SELECT count(*)::int AS written FROM written`,
    [rowArray(texts)],
  );
  return written;
}

/**
 * Deletes the target rows that hold one of the incoming rows' unique keys under another primary key.
 * While a live move copies and catches up, such a row is one the source has since changed or deleted
 * (the source cannot hold two rows with one unique key), so its own logged change restores whatever
 * the source still holds of it; without this, writing the incoming row would fail on the unique index
 * every time it was tried. Returns how many rows it deleted.
 */
export async function clearUniqueConflicts(tx: Queryable, table: CopiedTable, texts: readonly string[]): Promise<number> {
  if (texts.length === 0 || !table.unique) return 0;
  let cleared = 0;
  for (const columns of table.unique) {
    const [{ deleted }] = await tx.query<{ deleted: number }>(
      `WITH deleted AS (
         DELETE FROM ${table.name} t USING jsonb_populate_recordset(null::${table.name}, $1::jsonb) r
          WHERE (${columns.map((c) => `t.${c}`).join(', ')}) IS NOT DISTINCT FROM (${columns.map((c) => `r.${c}`).join(', ')})
            AND ${keyTuple(table, 't')} <> ${keyTuple(table, 'r')}
         RETURNING 1)
       SELECT count(*)::int AS deleted FROM deleted`,
      [rowArray(texts)],
    );
    cleared += deleted;
  }
  return cleared;
}

/** Deletes the rows `keys` names (objects of the key columns); returns how many there were. */
export async function deleteRowsByKey(tx: Queryable, table: CopiedTable, keys: Record<string, unknown>[]): Promise<number> {
  if (keys.length === 0) return 0;
  const [{ deleted }] = await tx.query<{ deleted: number }>(
    `WITH deleted AS (
       DELETE FROM ${table.name} t USING jsonb_populate_recordset(null::${table.name}, $1::jsonb) k
        WHERE ${keyTuple(table, 't')} = ${keyTuple(table, 'k')}
       RETURNING 1)
     SELECT count(*)::int AS deleted FROM deleted`,
    [json(keys)],
  );
  return deleted;
}

/**
 * Deletes the rows a page of the source leaves out, so that a target that already held rows ends an
 * exact copy: those keyed after `after` (from the start when undefined) and up to the page's last key
 * (past it too when `toEnd`: the source has no more rows) that are not in the page. The page is named
 * by its keys where the caller has them (readRows does): a page of keys is a small fraction of the
 * rows' text for the database to parse. Returns how many rows were deleted, and the page's last key
 * (undefined for an empty page), the `after` of the next page.
 */
export async function deleteRowsNotIn(
  tx: Queryable,
  table: CopiedTable,
  after: unknown[] | undefined,
  page: { texts: readonly string[]; keys?: readonly unknown[][] },
  toEnd: boolean,
): Promise<{ deleted: number; lastKey: unknown[] | undefined }> {
  const rows = page.keys ? json(page.keys.map((key) => keyObject(table, key))) : rowArray(page.texts);
  const bounds = [
    ...(after ? [`${keyTuple(table, 't')} > ${keyParameter(table, '$2')}`] : []),
    ...(toEnd ? [] : [`${keyTuple(table, 't')} <= (SELECT * FROM last)`]),
    `NOT EXISTS (SELECT 1 FROM page p WHERE ${keyTuple(table, 'p')} = ${keyTuple(table, 't')})`,
  ];
  const [{ deleted, last_key }] = await inUtc(tx, (utc) =>
    utc.query<{ deleted: number; last_key: string | null }>(
      `WITH page AS (SELECT * FROM jsonb_populate_recordset(null::${table.name}, $1::jsonb)),
            last AS (SELECT ${table.key.map((column) => keyColumn(table, 'p', column)).join(', ')} FROM page p ORDER BY ${keyOrder(table, 'p', 'DESC')} LIMIT 1),
            deleted AS (DELETE FROM ${table.name} t WHERE ${bounds.join(' AND ')} RETURNING 1)
       SELECT (SELECT count(*)::int FROM deleted) AS deleted,
              (SELECT ${keyArray(table, 'p')} FROM page p ORDER BY ${keyOrder(table, 'p', 'DESC')} LIMIT 1) AS last_key`,
      after ? [rows, json(keyObject(table, after))] : [rows],
    ),
  );
  return { deleted, lastKey: last_key === null ? undefined : (JSON.parse(last_key) as unknown[]) };
}

/** Moves every copied serial's sequence past the largest value in its table, so that new rows do not collide. */
export async function resetSequences(db: Queryable, tables: readonly CopiedTable[] = COPIED_TABLES): Promise<void> {
  for (const table of tables) {
    if (!table.serial) continue;
    await db.query(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(${table.serial}), 0) + 1, false) FROM ${table.name}`, [
      table.name,
      table.serial,
    ]);
  }
}
