/**
 * Content checksums of the copied tables: per table, the row count and a SHA-256 over the canonical
 * row texts in key order. Two instances hold the same data exactly when every table's pair is equal.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Database, Queryable } from '../storage/database';
import { inSnapshot, readRows } from './rows';
import { COPIED_TABLES, type CopiedTable } from './tables';

export interface TableSum {
  count: number;
  sha256: string;
}

/** Rows read per query while summing. */
const PAGE_ROWS = 1000;

/** A table's checksum, fed its rows' texts in key order, page by page. */
export class TableHash {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;

  add(texts: readonly string[]): void {
    for (const text of texts) this.hash.update(text).update('\n');
    this.count += texts.length;
  }

  digest(): TableSum {
    return { count: this.count, sha256: this.hash.digest('hex') };
  }
}

/** The checksum of one table, read in pages (a transaction given keeps every page in its snapshot). */
export async function tableChecksum(db: Queryable, table: CopiedTable): Promise<TableSum> {
  const hash = new TableHash();
  let after: unknown[] | undefined;
  for (;;) {
    const page = await readRows(db, table, after, PAGE_ROWS);
    hash.add(page.texts);
    if (page.texts.length < PAGE_ROWS) return hash.digest();
    after = page.keys[page.keys.length - 1];
  }
}

/** Every copied table's checksum, all read from one snapshot of `db`. */
export function checksums(db: Database, tables: readonly CopiedTable[] = COPIED_TABLES): Promise<Map<string, TableSum>> {
  return inSnapshot(db, async (tx) => {
    const sums = new Map<string, TableSum>();
    for (const table of tables) sums.set(table.name, await tableChecksum(tx, table));
    return sums;
  });
}

export interface TableComparison {
  table: string;
  source: TableSum | undefined;
  target: TableSum | undefined;
  same: boolean;
}

/** Compares two sides' checksums table by table, in the order of `tables`. */
export function compareChecksums(
  source: ReadonlyMap<string, TableSum>,
  target: ReadonlyMap<string, TableSum>,
  tables: readonly CopiedTable[] = COPIED_TABLES,
): TableComparison[] {
  return tables.map(({ name }) => {
    const [from, to] = [source.get(name), target.get(name)];
    return {
      table: name,
      source: from,
      target: to,
      same: from !== undefined && to !== undefined && from.count === to.count && from.sha256 === to.sha256,
    };
  });
}

/** The names of the tables that differ. */
export const differingTables = (comparison: readonly TableComparison[]): string[] => comparison.filter((c) => !c.same).map((c) => c.table);
