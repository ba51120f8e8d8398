/**
 * Which stage to run at a volume, and when to move on: the cheapest stage that carries the volume's
 * peak with the spike headroom and survives what the volume requires; and, for each stage, the volume
 * at which it stops being enough and why.
 */
import type { Availability } from './availability';
import type { LoadOptions, StageCapacity } from './capacity';
import { formatUsd, formatVolume } from './format';
import { SECONDS_PER_MONTH } from './profile';

export const REQUIREMENTS = ['none', 'az', 'region'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

/**
 * From this many requests a month, by default, a stage must survive an AZ loss: a flag service at a
 * hundred million requests a month (about 40 a second) is in the path of its customers' production
 * pages, and one AZ outage must not turn every flag off. Below it a team may accept one box.
 */
export const AZ_REQUIRED_FROM = 100e6;

/** What one volume requires: `--require` when given, else by the volume. */
export const requirementAt = (requestsPerMonth: number, required?: Requirement): Requirement =>
  required ?? (requestsPerMonth >= AZ_REQUIRED_FROM ? 'az' : 'none');

/** A stage at a volume: its price, capacity and availability. */
export interface Candidate {
  readonly stage: string;
  readonly monthlyUsd: number;
  readonly capacity: StageCapacity;
  readonly availability: Availability;
}

export interface Recommendation {
  readonly requestsPerMonth: number;
  /** The stage to run, or 'none' when no stage estimated qualifies. */
  readonly stage: string;
  readonly requires: Requirement;
  readonly reason: string;
}

export interface MoveOn {
  readonly from: string;
  /** The stage recommended just past the volume ('none' when none qualifies). */
  readonly to: string;
  readonly requestsPerMonth: number;
  readonly reason: string;
}

const rps = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toPrecision(2));

function survives(availability: Availability, requirement: Requirement): boolean {
  return requirement === 'none' || (requirement === 'az' ? availability.survivesAzLoss : availability.survivesRegionLoss);
}

const LOSS = { none: '', az: 'an AZ loss', region: 'a region loss' } as const;

/** Why a candidate does not qualify, or undefined when it does. */
function shortfall(candidate: Candidate, requirement: Requirement, load: LoadOptions): string | undefined {
  const { capacity } = candidate;
  if (!capacity.absorbsSpike)
    return `carries ${rps(capacity.maxRps)} req/s at most (${capacity.limitedBy}), under ${load.spike}× the peak of ${rps(capacity.peakRps)}`;
  if (!survives(candidate.availability, requirement)) return `does not survive ${LOSS[requirement]}`;
  return undefined;
}

export function recommend(
  requestsPerMonth: number,
  candidates: readonly Candidate[],
  load: LoadOptions,
  required?: Requirement,
): Recommendation {
  const requires = requirementAt(requestsPerMonth, required);
  const byPrice = [...candidates].sort((a, b) => a.monthlyUsd - b.monthlyUsd);
  const best = byPrice.find((candidate) => shortfall(candidate, requires, load) === undefined);
  const volume = `${formatVolume(requestsPerMonth)} requests a month`;
  if (!best) {
    return {
      requestsPerMonth,
      stage: 'none',
      requires,
      reason: `No stage qualifies at ${volume}: ${byPrice.map((c) => `${c.stage} ${shortfall(c, requires, load)}`).join('; ')}.`,
    };
  }
  const cheaper = byPrice
    .slice(0, byPrice.indexOf(best))
    .map((c) => `${c.stage} (${formatUsd(c.monthlyUsd)}) ${shortfall(c, requires, load)}`);
  return {
    requestsPerMonth,
    stage: best.stage,
    requires,
    reason:
      `${best.stage}, the cheapest (${formatUsd(best.monthlyUsd)} a month) that carries ${load.spike}× its peak of ` +
      `${rps(best.capacity.peakRps)} req/s (up to ${rps(best.capacity.maxRps)}, then ${best.capacity.limitedBy})` +
      (requires === 'none' ? '' : ` and survives ${LOSS[requires]}`) +
      (cheaper.length > 0 ? `; cheaper: ${cheaper.join('; ')}` : '') +
      '.',
  };
}

/**
 * Where each stage stops being enough: the volume whose spike passes its largest scale, or from
 * which an AZ loss must be survived and it cannot; `recommendAt` names the stage to move to.
 */
export function moveOnPoints(
  stages: readonly { stage: string; maxRps: number; limitedBy: string; availability: Availability }[],
  load: LoadOptions,
  recommendAt: (requestsPerMonth: number) => Recommendation,
  required?: Requirement,
): MoveOn[] {
  const points: MoveOn[] = [];
  for (const stage of stages) {
    const byCapacity = (stage.maxRps / load.peak / load.spike) * SECONDS_PER_MONTH;
    const needsAz = required === undefined && !stage.availability.survivesAzLoss ? AZ_REQUIRED_FROM : Infinity;
    const volume = Math.min(byCapacity, needsAz);
    if (!Number.isFinite(volume)) continue;
    // Never enough: an explicit requirement it cannot meet.
    if (required !== undefined && !survives(stage.availability, required)) continue;
    const next = recommendAt(volume * 1.01);
    points.push({
      from: stage.stage,
      to: next.stage,
      requestsPerMonth: volume,
      reason:
        volume === needsAz
          ? `from ${formatVolume(volume)} requests a month an AZ loss must be survived, and ${stage.stage} does not`
          : `past ${formatVolume(volume)} requests a month ${load.spike}× the peak passes ${rps(stage.maxRps)} req/s (${stage.limitedBy})`,
    });
  }
  return points.sort((a, b) => a.requestsPerMonth - b.requestsPerMonth);
}
