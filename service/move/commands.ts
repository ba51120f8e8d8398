/**
 * The mover's four commands. Each opens its ends, checks them, does its work and returns the exit
 * code; failures the user can act on are thrown as MoveError.
 */
import type { Queryable } from '../storage/database';
import { openEnd, type End } from './ends';
import { EXIT, MoveError } from './errors';
import { EXPORT_FORMAT, ExportReader, writeExportFile, type ExportHeader } from './export-file';
import { databasePages, writeTable } from './pages';
import { Progress } from './progress';
import { formatComparison } from './report';
import { inSnapshot, resetSequences } from './rows';
import { BUILD_SCHEMA_VERSION, instanceId, requireBuildVersion, schemaVersion } from './schema';
import { COPIED_TABLES } from './tables';
import { markCopied, prepareTarget, type SourceIdentity } from './target';
import { checksums, compareChecksums, differingTables, TableHash, type TableSum } from './verify';

export interface WriteOptions {
  /** Replace a target that holds other rows. */
  force: boolean;
  /** Rows per page (per read, per write transaction). */
  pageRows: number;
}

/** Copies everything from one instance to another. */
export async function copyCommand(from: string, to: string, options: WriteOptions): Promise<number> {
  return withEnd(from, 'source', async (source) => {
    const identity = await sourceIdentity(source);
    return withEnd(to, 'target', async (target) => {
      const moveId = await prepareTarget(target, identity, options.force);
      const progress = new Progress('copied', true);
      const sums = await inSnapshot(source.db, async (tx) => {
        const copied = new Map<string, TableSum>();
        for (const table of COPIED_TABLES) {
          const started = Date.now();
          const onPage = progress.table(table.name, await countRows(tx, table.name));
          const copy = await writeTable(target.db, table, databasePages(tx, table, options.pageRows), onPage);
          progress.tableDone(copy, Date.now() - started);
          copied.set(table.name, copy.sum);
        }
        return copied;
      });
      await resetSequences(target.db);
      progress.finish();
      return verifyTarget(target, moveId, sums, 'source');
    });
  });
}

/** Writes everything of an instance to an export file. */
export async function exportCommand(from: string, out: string, pageRows: number): Promise<number> {
  return withEnd(from, 'source', async (source) => {
    const identity = await sourceIdentity(source);
    const header: ExportHeader = {
      format: EXPORT_FORMAT,
      schemaVersion: BUILD_SCHEMA_VERSION,
      sourceInstance: identity.instanceId,
      sourceName: identity.name,
      exportedAt: new Date().toISOString(),
      tables: COPIED_TABLES.map((table) => table.name),
    };
    const progress = new Progress('exported', false);
    await inSnapshot(source.db, (tx) => writeExportFile(out, exportLines(tx, header, pageRows, progress)));
    progress.finish();
    return EXIT.ok;
  });
}

async function* exportLines(tx: Queryable, header: ExportHeader, pageRows: number, progress: Progress): AsyncGenerator<string> {
  yield `${JSON.stringify(header)}\n`;
  const sums: Record<string, TableSum> = {};
  for (const table of COPIED_TABLES) {
    const started = Date.now();
    const rows = await countRows(tx, table.name);
    const onPage = progress.table(table.name, rows);
    yield `${JSON.stringify({ table: table.name, rows })}\n`;
    const hash = new TableHash();
    for await (const { texts } of databasePages(tx, table, pageRows)) {
      hash.add(texts);
      onPage(texts.length);
      yield `${texts.join('\n')}\n`;
    }
    sums[table.name] = hash.digest();
    // Rows counted and rows read come from one snapshot, so they agree.
    progress.tableDone({ table: table.name, rows, written: rows, deleted: 0, sum: sums[table.name] }, Date.now() - started);
  }
  yield `${JSON.stringify({ end: true, checksums: sums })}\n`;
}

/** Writes an export file's rows into an instance. */
export async function importCommand(file: string, to: string, options: WriteOptions): Promise<number> {
  const reader = await ExportReader.open(file);
  const { header } = reader;
  requireBuildVersion(`the export file ${file}`, header.schemaVersion);
  if (header.tables.join() !== COPIED_TABLES.map((table) => table.name).join()) {
    throw new MoveError(`the export file ${file} holds the tables ${header.tables.join(', ')}, not this build's`);
  }
  return withEnd(to, 'target', async (target) => {
    const moveId = await prepareTarget(target, { instanceId: header.sourceInstance, name: header.sourceName }, options.force);
    const progress = new Progress('imported', true);
    const read = new Map<string, TableSum>();
    for (const table of COPIED_TABLES) {
      const started = Date.now();
      const copy = await writeTable(target.db, table, reader.pages(table.name, options.pageRows), progress.table(table.name, undefined));
      progress.tableDone(copy, Date.now() - started);
      read.set(table.name, copy.sum);
    }
    const fileSums = await reader.checksums();
    const damaged = differingTables(compareChecksums(fileSums, read));
    if (damaged.length > 0)
      throw new MoveError(`the export file ${file} is damaged: the rows of ${damaged.join(', ')} do not match its checksums`);
    await resetSequences(target.db);
    progress.finish();
    return verifyTarget(target, moveId, fileSums, 'file');
  });
}

/** Compares two instances' contents. */
export async function verifyCommand(from: string, to: string): Promise<number> {
  return withEnd(from, 'source', async (source) => {
    requireBuildVersion(`the source ${source.name}`, await schemaVersion(source.db));
    return withEnd(to, 'target', async (target) => {
      requireBuildVersion(`the target ${target.name}`, await schemaVersion(target.db));
      const [sourceSums, targetSums] = await Promise.all([checksums(source.db), checksums(target.db)]);
      return report(compareChecksums(sourceSums, targetSums), 'source');
    });
  });
}

async function withEnd<T>(spec: string, role: 'source' | 'target', work: (end: End) => Promise<T>): Promise<T> {
  const end = await openEnd(spec, role);
  try {
    return await work(end);
  } finally {
    await end.db.close();
  }
}

async function sourceIdentity(source: End): Promise<SourceIdentity> {
  requireBuildVersion(`the source ${source.name}`, await schemaVersion(source.db));
  return { instanceId: await instanceId(source.db), name: source.name };
}

async function countRows(db: Queryable, table: string): Promise<number> {
  const [{ rows }] = await db.query<{ rows: number }>(`SELECT count(*)::float8 AS rows FROM ${table}`);
  return rows;
}

/** Checks the target against what was copied into it; marks the move copied when they match. */
async function verifyTarget(target: End, moveId: number, copied: ReadonlyMap<string, TableSum>, sourceLabel: string): Promise<number> {
  const code = report(compareChecksums(copied, await checksums(target.db)), sourceLabel);
  if (code === EXIT.ok) await markCopied(target, moveId);
  return code;
}

/** Prints the comparison; the exit code says whether every table matched. */
function report(comparison: ReturnType<typeof compareChecksums>, sourceLabel: string): number {
  process.stdout.write(formatComparison(comparison, sourceLabel, 'target'));
  const differing = differingTables(comparison);
  if (differing.length === 0) return EXIT.ok;
  process.stderr.write(`the target differs from the ${sourceLabel} in ${differing.join(', ')}\n`);
  return EXIT.differs;
}
