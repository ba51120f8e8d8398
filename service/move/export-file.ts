/**
 * The export file: NDJSON, gzip-compressed when its name ends in .gz.
 *
 *   {"format":"flagstack-export/1","schemaVersion":6,"sourceInstance":"…","tables":["projects",…]}
 *   {"table":"projects","rows":2}          then exactly that many lines, one row text each, in key order
 *   …                                      one such section per table, in the header's order
 *   {"end":true,"checksums":{"projects":{"count":2,"sha256":"…"},…}}
 *
 * Row lines are the database's canonical row texts, written and read back without being parsed; a
 * reader tells them apart from the other lines by counting. The last line proves the file complete.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { MoveError, reasonOf } from './errors';
import type { TableSum } from './verify';

export const EXPORT_FORMAT = 'flagstack-export/1';

export interface ExportHeader {
  format: string;
  schemaVersion: number;
  sourceInstance: string;
  /** The source as named when exported (no password). */
  sourceName: string;
  exportedAt: string;
  tables: string[];
}

/** The longest line accepted: a row (an audit entry's before and after) may be large, but not without bound. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

const isGzip = (path: string): boolean => path.endsWith('.gz');

/**
 * Writes `chunks` (lines, each ending in a newline) to `path`, through gzip for a .gz name. The file
 * appears under its name only once complete; until then it is `<path>.partial`.
 */
export async function writeExportFile(path: string, chunks: AsyncIterable<string>): Promise<void> {
  const partial = `${path}.partial`;
  try {
    const source = Readable.from(chunks);
    const file = createWriteStream(partial);
    await (isGzip(path) ? pipeline(source, createGzip(), file) : pipeline(source, file));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** An export file read line by line, front to back, checking its structure as it goes. */
export class ExportReader {
  private lineNumber = 0;

  private constructor(
    private readonly path: string,
    private readonly lines: AsyncIterator<string>,
    readonly header: ExportHeader,
  ) {}

  static async open(path: string): Promise<ExportReader> {
    const stream = createReadStream(path);
    // Opening errors (a missing file) surface on the first read; make them this module's words.
    const lines = splitLines(isGzip(path) ? stream.pipe(createGunzip()) : stream, path)[Symbol.asyncIterator]();
    const first = await lines.next();
    const header = first.done ? undefined : parseLine(first.value);
    if (!isHeader(header)) throw new MoveError(`${path} is not a flagstack export (its first line is not a ${EXPORT_FORMAT} header)`);
    const reader = new ExportReader(path, lines, header);
    reader.lineNumber = 1;
    return reader;
  }

  /** The next table's rows, which must be `table`'s, in pages of up to `pageRows` row texts. */
  async *pages(table: string, pageRows: number): AsyncGenerator<{ texts: string[] }> {
    const section = parseLine(await this.next(`the start of table ${table}`)) as { table?: unknown; rows?: unknown } | undefined;
    if (section?.table !== table || typeof section.rows !== 'number') {
      throw new MoveError(`${this.path} is not a flagstack export: line ${this.lineNumber} should start table ${table}`);
    }
    let page: string[] = [];
    for (let read = 0; read < section.rows; read++) {
      const text = await this.next(`table ${table} after ${read} of its ${section.rows} rows`);
      if (!text.startsWith('{')) throw new MoveError(`${this.path} is not a flagstack export: line ${this.lineNumber} is not a row`);
      page.push(text);
      if (page.length === pageRows) {
        yield { texts: page };
        page = [];
      }
    }
    if (page.length > 0) yield { texts: page };
  }

  /** The checksums the last line carries, after every table was read; nothing may follow it. */
  async checksums(): Promise<Map<string, TableSum>> {
    const end = parseLine(await this.next('its last line')) as { end?: unknown; checksums?: Record<string, TableSum> } | undefined;
    if (end?.end !== true || typeof end.checksums !== 'object') {
      throw new MoveError(`${this.path} is not a flagstack export: line ${this.lineNumber} should be its last`);
    }
    if (!(await this.lines.next()).done) throw new MoveError(`${this.path} is not a flagstack export: it goes on after its last line`);
    return new Map(Object.entries(end.checksums));
  }

  private async next(expected: string): Promise<string> {
    const line = await this.lines.next();
    if (line.done) throw new MoveError(`${this.path} is truncated: it ends before ${expected}`);
    this.lineNumber++;
    return line.value;
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function isHeader(value: unknown): value is ExportHeader {
  const header = value as Partial<ExportHeader> | undefined;
  return (
    header?.format === EXPORT_FORMAT &&
    typeof header.schemaVersion === 'number' &&
    typeof header.sourceInstance === 'string' &&
    typeof header.sourceName === 'string' &&
    Array.isArray(header.tables)
  );
}

/**
 * The stream's lines (without their newlines), read with the stream's own backpressure. Every line the
 * writer writes ends in a newline, so a last line without one is a cut-off file. A read failure becomes a MoveError.
 */
async function* splitLines(stream: Readable, path: string): AsyncGenerator<string> {
  let rest = '';
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop() ?? '';
      if (rest.length > MAX_LINE_BYTES)
        throw new MoveError(`${path} is not a flagstack export: it has a line longer than ${MAX_LINE_BYTES} bytes`);
      yield* lines;
    }
  } catch (error) {
    if (error instanceof MoveError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') throw new MoveError(`${path} is truncated or damaged: ${reasonOf(error)}`);
    throw new MoveError(`cannot read ${path}: ${reasonOf(error)}`);
  }
  if (rest.length > 0) throw new MoveError(`${path} is truncated: its last line is cut off`);
}
