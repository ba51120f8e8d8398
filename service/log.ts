/**
 * The logging the edge modules need: pino's calling convention (fields, then message), so the
 * service passes its pino logger; the Lambda logs JSON lines to stdout, which CloudWatch Logs keeps.
 */
export interface Log {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };

/** One JSON object a line; errors as their name, message and stack (never request bodies or keys). */
export function jsonLineLog(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Log {
  const entry = (level: string) => (fields: object, message: string) =>
    write(JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...describeErrors(fields) }));
  return { info: entry('info'), warn: entry('warn'), error: entry('error') };
}

function describeErrors(fields: object): object {
  const described: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    described[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return described;
}
