/**
 * What a database error says about the database, from the driver's codes and messages (node-postgres
 * and PGlite): it cannot be reached, it is busy, or one row's data is at fault. A request's slow
 * statement is not an outage; the health probe's own small query timing out is.
 */

interface DriverError {
  code?: string;
  message?: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/** The database cannot be reached: refused, reset, shut down, or a connection that never opened. */
export function isConnectionFailure(error: DriverError): boolean {
  const code = error.code ?? '';
  return CONNECTION_CODES.has(code) || code.startsWith('08') || /Connection terminated|connection error/i.test(error.message ?? '');
}

/**
 * The database answers, but not in time: a statement cancelled by statement_timeout (57014), a query
 * past the driver's read timeout, or no pooled connection free within the wait.
 */
export function isBusy(error: DriverError): boolean {
  return error.code === '57014' || /Query read timeout/i.test(error.message ?? '') || isPoolExhausted(error);
}

/** Every pooled connection stayed busy for the whole wait: this process's demand, not the database's health. */
const isPoolExhausted = (error: DriverError): boolean => /timeout exceeded when trying to connect/i.test(error.message ?? '');

/** The database refused a write because its data has moved to another stage's (migration 6's trigger; the hint names where). */
export const isMovedAway = (error: DriverError): boolean => error.code === 'FS503';

/**
 * One row's data is at fault, not the statement or the database: SQLSTATE classes 22 (data exception:
 * text PostgreSQL cannot store, a value out of range), 23 (integrity constraint) and 54 (program limit
 * exceeded: a value too large). Another row in the same statement would have been fine.
 */
export function isDataError(error: DriverError): boolean {
  return /^(22|23|54)[0-9A-Z]{3}$/.test(error.code ?? '');
}
