/**
 * A scenario's figures over its turns. The service and the baseline take the same load in
 * alternating turns, and each figure is reported as its median over the turns with their range: on a
 * machine shared with other work, one turn in a few runs well off the others (another process's burst
 * of CPU), which a mean over the turns would carry into the figure and a median leaves out.
 */

export const DEFAULT_TURNS = 5;

/** The median of some figures and their range. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The median (of an even count, the mean of the middle two) and range of `values`. */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('the spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** What a turn measured of one side. */
export interface TurnFigures {
  rps: number;
  cpuMicrosPerRequest: number;
  databaseCpuMicrosPerRequest: number;
}

/** A scenario's figures over its turns, each a median with its range. */
export interface TurnSpreads {
  rps: Spread;
  /** Each turn's rate over that of the baseline turn right after it. */
  ratioToBaseline: Spread;
  cpuMicrosPerRequest: Spread;
  databaseCpuMicrosPerRequest: Spread;
  baselineRps: Spread;
  baselineCpuMicrosPerRequest: Spread;
}

/**
 * The spreads of some turns, each a service turn and the baseline turn that followed it. The ratio is
 * taken turn by turn, so that a stretch when the machine was busier weighs on both of its sides.
 */
export function spreadsOverTurns(turns: ReadonlyArray<{ service: TurnFigures; baseline: TurnFigures }>): TurnSpreads {
  const over = (pick: (turn: (typeof turns)[number]) => number) => spreadOf(turns.map(pick));
  return {
    rps: over((t) => t.service.rps),
    ratioToBaseline: over((t) => t.service.rps / Math.max(t.baseline.rps, 1e-9)),
    cpuMicrosPerRequest: over((t) => t.service.cpuMicrosPerRequest),
    databaseCpuMicrosPerRequest: over((t) => t.service.databaseCpuMicrosPerRequest),
    baselineRps: over((t) => t.baseline.rps),
    baselineCpuMicrosPerRequest: over((t) => t.baseline.cpuMicrosPerRequest),
  };
}

/** The most turns `--turns` takes: each is at least a second on each side. */
export const MAX_TURNS = 100;

/** `--turns`: a whole number from 1 to MAX_TURNS; undefined for anything else. */
export function parseTurns(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const turns = Number(text);
  return turns >= 1 && turns <= MAX_TURNS ? turns : undefined;
}
