/**
 * Moving one table's rows: read page by page from a source snapshot, written page by page to a
 * target, one transaction per page, so that an interrupted copy keeps what it wrote and a rerun
 * resumes by writing only what is missing or different.
 */
import type { Database, Queryable } from '../storage/database';
import { deleteRowsNotIn, readRows, upsertRows, type RowPage } from './rows';
import type { CopiedTable } from './tables';
import { TableHash, type TableSum } from './verify';

/** Rows per page: about 0.3 MB of identities with ten traits, one round trip and one transaction each. */
export const PAGE_ROWS = 1000;

/**
 * The table's rows in key order, page by page, from `tx` (a snapshot: see inSnapshot). The next page is
 * read while the caller writes this one.
 */
export async function* databasePages(tx: Queryable, table: CopiedTable, pageRows = PAGE_ROWS): AsyncGenerator<RowPage> {
  let next = readRows(tx, table, undefined, pageRows);
  for (;;) {
    const page = await next;
    const more = page.texts.length === pageRows;
    if (more) {
      next = readRows(tx, table, page.keys[page.keys.length - 1], pageRows);
      // Awaited on the next turn; this only keeps a failure while the caller writes from being unhandled.
      next.catch(() => undefined);
    }
    if (page.texts.length > 0) yield page;
    if (!more) return;
  }
}

export interface TableCopy {
  table: string;
  /** Rows the source holds. */
  rows: number;
  /** Rows inserted or changed on the target; 0 when it already held them all. */
  written: number;
  /** Target rows the source does not hold, deleted. */
  deleted: number;
  /** The checksum of the rows as they were read. */
  sum: TableSum;
}

/** A page of rows in key order, with their keys when the source has them at hand. */
export interface SourcePage {
  texts: string[];
  keys?: unknown[][];
}

/**
 * Writes `pages` (the table's rows in key order) to the target: each page upserted and the target rows
 * between it and the previous page that it does not hold deleted, in one transaction; then the target
 * rows after the last page deleted, so that the target's table ends equal to the source's.
 */
export async function writeTable(
  target: Database,
  table: CopiedTable,
  pages: AsyncIterable<SourcePage>,
  onPage: (rows: number) => void = () => undefined,
): Promise<TableCopy> {
  const hash = new TableHash();
  const result = { table: table.name, rows: 0, written: 0, deleted: 0 };
  let after: unknown[] | undefined;
  for await (const page of pages) {
    await target.transaction(async (tx) => {
      // Deleted first: a row the source replaced (an identity deleted and made again, under a new id)
      // would otherwise collide with its replacement on the unique identifier.
      const gone = await deleteRowsNotIn(tx, table, after, page, false);
      result.written += await upsertRows(tx, table, page.texts);
      result.deleted += gone.deleted;
      after = gone.lastKey;
    });
    hash.add(page.texts);
    result.rows += page.texts.length;
    onPage(page.texts.length);
  }
  result.deleted += (await target.transaction((tx) => deleteRowsNotIn(tx, table, after, { texts: [] }, true))).deleted;
  return { ...result, sum: hash.digest() };
}
