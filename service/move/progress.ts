/**
 * What the mover says while it works, on stderr: a line for each finished table and a summary at the
 * end; on a terminal also a live line for the table under way (rows so far, rows per second).
 */
import type { TableCopy } from './pages';

const number = (value: number): string => value.toLocaleString('en-US');
const perSecond = (rows: number, ms: number): string => `${number(Math.round(rows / Math.max(ms / 1000, 0.001)))} rows/s`;

/** Least time between two redraws of the live line. */
const REDRAW_MS = 250;

export class Progress {
  private readonly started = Date.now();
  private readonly done: TableCopy[] = [];

  constructor(
    /** What the mover does to the rows, in the past tense: "copied", "imported", "exported". */
    private readonly verb: string,
    /** Whether the rows go to a database, whose changes (rows written, rows deleted) are worth telling. */
    private readonly toDatabase: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Starts a table of `total` rows; returns the callback for each page written. */
  table(name: string, total: number | undefined): (rows: number) => void {
    if (!this.out.isTTY) return () => undefined;
    const started = Date.now();
    let rows = 0;
    let drawn = 0;
    return (pageRows) => {
      rows += pageRows;
      if (Date.now() - drawn < REDRAW_MS) return;
      drawn = Date.now();
      const of = total === undefined ? '' : ` of ${number(total)}`;
      this.out.write(`\r\x1b[K  ${name}: ${number(rows)}${of} rows, ${perSecond(rows, drawn - started)}`);
    };
  }

  /** Ends a table. */
  tableDone(copy: TableCopy, ms: number): void {
    this.done.push(copy);
    const changes = !this.toDatabase
      ? ''
      : copy.written === 0 && copy.deleted === 0
        ? ' (no changes)'
        : ` (${number(copy.written)} written, ${number(copy.deleted)} deleted)`;
    this.out.write(
      `${this.out.isTTY ? '\r\x1b[K' : ''}  ${copy.table}: ${number(copy.rows)} rows in ${(ms / 1000).toFixed(1)} s, ${perSecond(copy.rows, ms)}${changes}\n`,
    );
  }

  /** The summary line, always. */
  finish(): void {
    const ms = Date.now() - this.started;
    const rows = this.done.reduce((sum, copy) => sum + copy.rows, 0);
    const written = this.done.reduce((sum, copy) => sum + copy.written, 0);
    const deleted = this.done.reduce((sum, copy) => sum + copy.deleted, 0);
    const changes = this.toDatabase ? `; ${number(written)} rows written, ${number(deleted)} deleted` : '';
    this.out.write(
      `${this.verb} ${number(rows)} rows of ${this.done.length} tables in ${(ms / 1000).toFixed(1)} s (${perSecond(rows, ms)})${changes}\n`,
    );
  }
}
