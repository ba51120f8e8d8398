/**
 * The cost of moving from one stage to a later one: both run side by side while Route 53 weighted
 * records shift the traffic to the new one in steps (docs/moves.md). Each step is priced as both
 * stages' monthly estimates at their shares of the volume, prorated to the step's days (the old stage
 * at 0% still pays what it costs idle), plus what the shift itself adds: the health check and alarm on
 * the new stage's record, and the DNS queries answered by a record that is not an alias.
 */
import type { StageResources } from './discovery';
import { type EstimateInput, estimateStage, priceCharges } from './estimate';
import { ASSUMPTIONS, HOURS_PER_MONTH } from './profile';
import type { Charge } from './usage';
import type { StageId } from '../stages';

/** The days in the 730-hour month AWS prices by. */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** The shares of traffic on the new stage, in order, each held for an equal part of the overlap (docs/moves.md: 1 → 10 → 50 → 100%). */
export const SHIFT_SHARES: readonly number[] = [0.01, 0.1, 0.5, 1];

export const DEFAULT_OVERLAP_DAYS = 14;

/** What the shift adds, besides the two stages (the TrafficShift records of docs/moves.md). */
export const OVERLAP_ASSUMPTIONS = {
  /** Health checks on the new stage's record: one, bound to its CloudWatch alarm (an AWS endpoint's price). */
  healthChecks: 1,
  /** The alarm that health check reads (standard resolution, one metric). */
  alarms: 1,
} as const;

/** `--overlap FROM:TO[:DAYS]`. */
export interface OverlapRequest {
  readonly from: StageId;
  readonly to: StageId;
  readonly days: number;
}

/** One step of the shift: the share of traffic on the new stage, and for how many days. */
export interface ShiftStep {
  readonly share: number;
  readonly days: number;
}

/** The overlap at one monthly volume, USD. */
export interface OverlapAtVolume {
  readonly requestsPerMonth: number;
  /** Both stages and the shift, over the whole overlap. */
  readonly usd: number;
  readonly fromUsd: number;
  readonly toUsd: number;
  /** Route 53 and CloudWatch for the weighted records. */
  readonly shiftUsd: number;
  /** What the old stage alone would cost over the same days, and how much more the overlap costs. */
  readonly stayingOnFromUsd: number;
  /** What the new stage alone would cost over the same days, and how much more the overlap costs. */
  readonly newAloneUsd: number;
}

export interface OverlapCost extends OverlapRequest {
  readonly schedule: ShiftStep[];
  readonly volumes: OverlapAtVolume[];
  /** What the reader should know about how the traffic can be split. */
  readonly notes: string[];
}

/** The shift schedule over `days`: each share for an equal part. */
export function shiftSchedule(days: number): ShiftStep[] {
  return SHIFT_SHARES.map((share) => ({ share, days: days / SHIFT_SHARES.length }));
}

/** Whether a stage's public record can be an alias (to its CloudFront distribution), whose queries Route 53 answers free. */
const answersByAlias = (stage: StageResources) => stage.resources.some((r) => r.kind === 'cloudfront');

/** The overlap of `from` and `to` at each of `volumes`. */
export function overlapCost(
  from: StageResources,
  to: StageResources,
  request: OverlapRequest,
  volumes: number[],
  input: EstimateInput,
): OverlapCost {
  const schedule = shiftSchedule(request.days);
  const months = (days: number) => days / DAYS_PER_MONTH;
  const monthly = (stage: StageResources, volume: number) => estimateStage(stage, volume, input).monthlyUsd;
  /** Why a stage cannot carry its share at a step. */
  const overCapacity = new Set<string>();
  const atStep = (stage: StageResources, volume: number) => {
    const estimate = estimateStage(stage, volume, input);
    for (const line of estimate.overCapacity) overCapacity.add(`during the move, ${line}`);
    return estimate.monthlyUsd;
  };
  const region = input.pricing.homeRegion;
  const shiftCharge = (priceKey: string, unit: string, quantity: number, what: string): Charge => ({
    service: priceKey.startsWith('route53') ? 'Amazon Route 53' : 'Amazon CloudWatch',
    resource: `${to.stage}/TrafficShift`,
    region,
    priceKey,
    unit,
    quantity,
    what,
  });
  const atVolume = (requestsPerMonth: number): OverlapAtVolume => {
    const fromUsd = schedule.reduce((sum, step) => sum + atStep(from, requestsPerMonth * (1 - step.share)) * months(step.days), 0);
    const toUsd = schedule.reduce((sum, step) => sum + atStep(to, requestsPerMonth * step.share) * months(step.days), 0);
    // Lookups answered with each record; an alias record's are free.
    const lookups = (share: (step: ShiftStep) => number) =>
      schedule.reduce((sum, step) => sum + requestsPerMonth * months(step.days) * ASSUMPTIONS.dnsQueriesPerRequest * share(step), 0);
    const pricedLookups =
      (answersByAlias(from) ? 0 : lookups((step) => 1 - step.share)) + (answersByAlias(to) ? 0 : lookups((step) => step.share));
    const shift = priceCharges(
      [
        shiftCharge(
          'route53.health-check.aws',
          'health-check-month',
          OVERLAP_ASSUMPTIONS.healthChecks * months(request.days),
          'health check',
        ),
        shiftCharge(
          'cloudwatch.alarm',
          'alarm-metric-month',
          OVERLAP_ASSUMPTIONS.alarms * months(request.days),
          'alarm of the health check',
        ),
        shiftCharge('route53.queries.standard', 'million queries', pricedLookups / 1e6, 'weighted record queries'),
      ].filter((charge) => charge.quantity > 0),
      input.pricing,
    ).lines;
    const shiftUsd = shift.reduce((sum, line) => sum + line.usd, 0);
    return {
      requestsPerMonth,
      usd: fromUsd + toUsd + shiftUsd,
      fromUsd,
      toUsd,
      shiftUsd,
      stayingOnFromUsd: monthly(from, requestsPerMonth) * months(request.days),
      newAloneUsd: monthly(to, requestsPerMonth) * months(request.days),
    };
  };
  const priced = volumes.map(atVolume);
  const notes = [
    ...(answersByAlias(from) && answersByAlias(to)
      ? [
          `${from.stage} and ${to.stage} are both behind CloudFront: DNS weights cannot split traffic between them (docs/moves.md); the schedule prices a split however it is made`,
        ]
      : []),
    ...overCapacity,
  ];
  return { ...request, schedule, volumes: priced, notes };
}
