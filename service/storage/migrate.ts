/**
 * Applies pending migrations. Each runs in its own transaction with its bookkeeping row, under an
 * advisory lock so that instances starting together apply each migration exactly once.
 */
import type { Database } from './database';
import { MIGRATIONS } from './migrations';

// An arbitrary constant that names "flagstack migrations" among advisory locks.
const MIGRATION_LOCK_ID = 74_356_001;

/** Applies the pending ones of `migrations` (all of them unless told; tests apply a prefix) and returns their versions. */
export async function migrate(db: Database, migrations: typeof MIGRATIONS = MIGRATIONS): Promise<number[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: number[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length > 0) return false;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}

/**
 * Splits a migration into statements on the semicolons that end a line, except inside a
 * dollar-quoted function body (`$function$ … $function$`), whose own statements end in semicolons too.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let openQuote: string | undefined;
  for (const line of sql.split('\n')) {
    if (openQuote === undefined && /^\s*--/.test(line)) continue;
    current.push(line);
    for (const quote of line.match(/\$\w*\$/g) ?? []) {
      if (openQuote === undefined) openQuote = quote;
      else if (quote === openQuote) openQuote = undefined;
    }
    if (openQuote === undefined && /;\s*$/.test(line)) {
      statements.push(current.join('\n').replace(/;\s*$/, '').trim());
      current = [];
    }
  }
  statements.push(current.join('\n').trim());
  return statements.filter((statement) => statement.length > 0);
}
