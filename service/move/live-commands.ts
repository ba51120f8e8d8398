/**
 * `npm run move -- live|status|cut-over|abandon`: drives a live move (service/move/live.ts), which runs
 * inside the source service, through that service's admin API, and reports its progress.
 */
import type { Static } from '@sinclair/typebox';
import type { MoveStatus as MoveStatusBody } from '../admin/moves/schemas';
import { EXIT, MoveError, reasonOf } from './errors';

export interface SourceService {
  /** The source service's base URL. */
  readonly url: string;
  readonly adminToken: string;
}

type MoveStatus = Static<typeof MoveStatusBody>;

/** How often the progress is asked for. */
const POLL_MS = 500;

/** Calls the source service's moves API; a refusal becomes a MoveError with the service's own words. */
async function callMoves(service: SourceService, method: string, path: string, body?: unknown): Promise<MoveStatus> {
  let answer: Response;
  try {
    answer = await fetch(new URL(`/api/v1/admin/moves${path}`, service.url), {
      method,
      headers: { authorization: `Bearer ${service.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new MoveError(`the source service at ${service.url} did not answer: ${reasonOf((error as Error).cause ?? error)}`);
  }
  const text = await answer.text();
  let parsed: { error?: { code?: string; message?: string } } & Partial<MoveStatus>;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new MoveError(
      `the source service at ${service.url} answered ${answer.status} with something that is not JSON: is it a flagstack service?`,
    );
  }
  if (answer.status === 401 || answer.status === 403)
    throw new MoveError(`the source service refused the admin token: ${parsed.error?.message ?? answer.status}`);
  if (!answer.ok) {
    const rolledBack = parsed.error?.code === 'CUT_OVER_ROLLED_BACK';
    throw new MoveError(parsed.error?.message ?? `the source service answered ${answer.status}`, rolledBack ? EXIT.failed : EXIT.refused);
  }
  return parsed as MoveStatus;
}

const number = (value: number) => value.toLocaleString('en-US');

/** One line of progress. */
export function describeStatus(status: MoveStatus): string {
  const parts = [
    status.phase,
    `${number(status.copiedRows)} rows copied`,
    `${number(status.appliedChanges)} changes caught up`,
    `${number(status.pendingChanges)} pending`,
    status.lagMs === undefined ? undefined : `last round ${status.lagMs} ms`,
    status.verified ? 'verified' : undefined,
    status.readyToCutOver ? 'ready to cut over' : undefined,
    status.pauseMs === undefined ? undefined : `write pause ${status.pauseMs} ms`,
  ];
  return parts.filter(Boolean).join(', ') + (status.lastError ? `\n  last error: ${status.lastError}` : '');
}

/** Starts a live move and follows it until the target is level with the source (or the move stops). */
export async function liveCommand(
  service: SourceService,
  move: { to: string; targetEndpoint: string; sourceEndpoint: string },
  out: NodeJS.WriteStream = process.stderr,
): Promise<number> {
  let status = await callMoves(service, 'POST', '', {
    target: move.to,
    targetEndpoint: move.targetEndpoint,
    sourceEndpoint: move.sourceEndpoint,
  });
  out.write(`live move to ${status.target} started\n`);
  let shown = '';
  while (status.phase === 'copying' || (status.phase === 'catching-up' && !status.readyToCutOver)) {
    const line = describeStatus(status);
    if (out.isTTY) out.write(`\r\x1b[K${line.split('\n')[0]}`);
    else if (line !== shown && status.phase !== shown.split(',')[0]) out.write(`${line}\n`);
    shown = line;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    status = await callMoves(service, 'GET', '/current');
  }
  out.write(`${out.isTTY ? '\r\x1b[K' : ''}${describeStatus(status)}\n`);
  if (!status.readyToCutOver) return EXIT.failed;
  out.write('The target is level with the source and keeps being so. Shift traffic to the new stage, then: npm run move -- cut-over\n');
  return EXIT.ok;
}

export async function statusCommand(service: SourceService, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  out.write(`${describeStatus(await callMoves(service, 'GET', '/current'))}\n`);
  return EXIT.ok;
}

export async function cutOverCommand(service: SourceService, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const status = await callMoves(service, 'POST', '/current/cut-over');
  out.write(`cut over to ${status.target}: writes paused for ${status.pauseMs} ms; the source now refuses writes, naming the target\n`);
  return EXIT.ok;
}

export async function abandonCommand(service: SourceService, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const status = await callMoves(service, 'DELETE', '/current');
  out.write(`abandoned the move to ${status.target}: the source stopped capturing changes and keeps taking writes\n`);
  return EXIT.ok;
}
