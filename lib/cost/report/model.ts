/**
 * The report: every stage's estimate at every volume, the cheapest stage per volume, where the
 * cheapest changes, each pair's crossover, and the cost-per-million curves the HTML chart draws.
 * Renderers (table, markdown, JSON, HTML) only format this.
 */
import type { StageResources, UnpricedResource } from '../discovery';
import {
  cheapestStage,
  type Crossover,
  dedupe,
  type EstimateInput,
  estimateStage,
  findCrossovers,
  logVolumes,
  priceUsage,
  type StageEstimate,
} from '../estimate';
import { type Availability, stageAvailability } from '../availability';
import { capacityAt, DEFAULT_LOAD, type LoadOptions, scalingWarnings, type StageCapacity, stageLimits } from '../capacity';
import { priceTable } from '../prices';
import { type Candidate, type MoveOn, moveOnPoints, recommend, type Recommendation, type Requirement } from '../recommend';
import { overrideLabels, type PriceOverrides } from '../prices/overrides';
import type { Capacity } from '../../capacity-figures';
import type { TrafficProfile } from '../profile';
import { formatVolume } from '../format';
import type { OverlapCost } from '../overlap';
import { SERVICES, stageUsage } from '../usage';

/** One stage to estimate: its resources, the volumes to price it at, and its traffic. */
export interface StagePlan {
  readonly resources: StageResources;
  readonly volumes: number[];
  readonly input: EstimateInput;
}

/** A stage's live measurements, shown next to its estimate. */
export interface LiveMeasurement {
  readonly stage: string;
  readonly window: string;
  readonly coveredDays: number;
  readonly requestsInWindow: number;
  readonly requestsPerMonth: number;
  /** What was read, metric by metric, e.g. "AWS/CloudFront Requests (DistributionId=E1…)". */
  readonly sources: string[];
  /** Profile fields and counts the measurements replaced. */
  readonly measured: Record<string, string | number>;
  /** How a figure no metric gives directly was derived. */
  readonly notes: string[];
  /** Metrics that had no data in the window, each with the value that replaced what it would have measured. */
  readonly warnings: string[];
}

export interface PairCrossover {
  readonly stages: [string, string];
  readonly requestsPerMonth: number;
  /** The stage that is cheaper just above the crossover volume. */
  readonly cheaperAbove: string;
}

/** An estimate with what the stage can carry at its volume and what it survives. */
export interface RatedEstimate extends StageEstimate {
  readonly capacity: StageCapacity;
  readonly availability: Availability;
}

export interface CostReport {
  readonly region: string;
  readonly pricesAsOf: string;
  readonly pricesVersion: number;
  readonly generatedAt: string;
  readonly mode: 'offline' | 'live';
  /** Where the templates came from. */
  readonly templates: string;
  readonly freeTier: boolean;
  /** The price overrides (`--prices FILE`): which applied, to how many prices, and which to none. */
  readonly priceOverrides?: { file: string; applied: { override: string; prices: number }[]; unused: string[] };
  readonly capacity: Capacity;
  /** The traffic profile of each stage (the same for every stage offline). */
  readonly profiles: Record<string, TrafficProfile>;
  readonly volumes: number[];
  /** Peak and spike the capacity figures are for. */
  readonly load: LoadOptions;
  /** `--require`, when given; otherwise each volume's requirement is by the volume. */
  readonly required?: Requirement;
  readonly estimates: RatedEstimate[];
  /** The stage to run at each volume, and why. */
  readonly recommendations: Recommendation[];
  /** Where each stage stops being enough, and why. */
  readonly moveOn: MoveOn[];
  /** Scaling policies a volume pins at their maximum or minimum. */
  readonly warnings: string[];
  readonly cheapest: { requestsPerMonth: number; stage: string }[];
  readonly crossovers: Crossover[];
  readonly pairCrossovers: PairCrossover[];
  /** Cost per million on a log grid; null where the stage cannot carry the volume. */
  readonly curves: { stage: string; points: { requestsPerMonth: number; usdPerMillion: number | null }[] }[];
  readonly unpriced: UnpricedResource[];
  readonly notes: string[];
  /** Stages that cannot carry a volume as built: excluded from "cheapest" there. */
  readonly overCapacity: string[];
  /** Stages that were asked for but could not be estimated, and why. */
  readonly missing: { stage: string; reason: string }[];
  readonly live: LiveMeasurement[];
  /** What moving between two stages costs while both run (`--overlap`). */
  readonly overlap?: OverlapCost;
}

/** The monthly total of a stage at a volume (Infinity when it cannot carry it), for curves and crossovers. */
function monthlyCostOf(plan: StagePlan, volume: number): number {
  const usage = stageUsage(plan.resources, { requestsPerMonth: volume, profile: plan.input.profile, capacity: plan.input.capacity });
  if (usage.overCapacity.length > 0) return Infinity;
  return priceUsage(usage, plan.input.pricing, { stage: plan.resources.stage, requestsPerMonth: volume }).lines.reduce(
    (sum, line) => sum + line.usd,
    0,
  );
}

export interface ReportContext {
  readonly mode: 'offline' | 'live';
  readonly templates: string;
  readonly priceRegion: string;
  readonly freeTier: boolean;
  readonly priceOverrides?: { readonly file: string; readonly overrides: PriceOverrides };
  readonly capacity: Capacity;
  /** @default DEFAULT_LOAD (the daily profile's peak, a 10× spike) */
  readonly load?: LoadOptions;
  readonly required?: Requirement;
  readonly missing: { stage: string; reason: string }[];
  readonly live: LiveMeasurement[];
  /** Notes of the run itself (what live mode read), after the estimates' own. */
  readonly notes?: string[];
  readonly now?: Date;
  readonly overlap?: OverlapCost;
}

export function buildReport(plans: StagePlan[], context: ReportContext): CostReport {
  // The estimates, the curves, the crossover scans of every pair and the cheapest stage all ask for the
  // same plans at the same volumes: each (plan, volume) is priced once.
  const memo = new Map<StagePlan, Map<number, number>>(plans.map((plan) => [plan, new Map()]));
  const load = context.load ?? DEFAULT_LOAD;
  const rated = new Map(
    plans.map((plan) => [
      plan,
      {
        limits: stageLimits(plan.resources, plan.input.profile, plan.input.capacity),
        availability: stageAvailability(plan.resources),
      },
    ]),
  );
  const estimates: RatedEstimate[] = plans.flatMap((plan) =>
    plan.volumes.map((volume) => {
      const estimate = estimateStage(plan.resources, volume, plan.input);
      memo.get(plan)!.set(volume, estimate.overCapacity.length > 0 ? Infinity : estimate.monthlyUsd);
      const { limits, availability } = rated.get(plan)!;
      return { ...estimate, capacity: capacityAt(limits, volume, load, plan.input.profile), availability };
    }),
  );
  const monthlyCost = (plan: StagePlan, volume: number): number => {
    const known = memo.get(plan)!;
    let cost = known.get(volume);
    if (cost === undefined) known.set(volume, (cost = monthlyCostOf(plan, volume)));
    return cost;
  };
  const volumes = [...new Set(plans.flatMap((plan) => plan.volumes))].sort((a, b) => a - b);
  const costsAt = (volume: number) => plans.map((plan) => ({ stage: plan.resources.stage, monthlyUsd: monthlyCost(plan, volume) }));

  // Curves and crossovers span a decade either side of the volumes asked for.
  const low = Math.max(1e5, volumes[0] / 10);
  const high = Math.min(1e13, volumes[volumes.length - 1] * 10);
  const grid = logVolumes(low, high, 12);
  const curves = plans.map((plan) => ({
    stage: plan.resources.stage,
    points: grid.map((volume) => {
      const cost = monthlyCost(plan, volume);
      return { requestsPerMonth: volume, usdPerMillion: Number.isFinite(cost) ? cost / (volume / 1e6) : null };
    }),
  }));
  const comparable = plans.length > 1;
  const pairCrossovers: PairCrossover[] = [];
  if (comparable) {
    for (let i = 0; i < plans.length; i++) {
      for (let j = i + 1; j < plans.length; j++) {
        const pair = [plans[i], plans[j]];
        const costs = (volume: number) => pair.map((plan) => ({ stage: plan.resources.stage, monthlyUsd: monthlyCost(plan, volume) }));
        // Only where both can carry the volume on either side: a stage running out of capacity is not a crossover.
        const bothCarry = (volume: number) => costs(volume).every((cost) => Number.isFinite(cost.monthlyUsd));
        for (const crossover of findCrossovers(costs, low, high)) {
          if (!bothCarry(crossover.requestsPerMonth * 1.01) || !bothCarry(crossover.requestsPerMonth / 1.01)) continue;
          pairCrossovers.push({
            stages: [plans[i].resources.stage, plans[j].resources.stage],
            requestsPerMonth: crossover.requestsPerMonth,
            cheaperAbove: crossover.to,
          });
        }
      }
    }
  }
  // Offline every stage is priced at every volume: recommend among them. Live, each stage has its own volume.
  const candidatesAt = (volume: number): Candidate[] =>
    plans.map((plan) => ({
      stage: plan.resources.stage,
      monthlyUsd: monthlyCost(plan, volume),
      capacity: capacityAt(rated.get(plan)!.limits, volume, load, plan.input.profile),
      availability: rated.get(plan)!.availability,
    }));
  const recommendAt = (volume: number) => recommend(volume, candidatesAt(volume), load, context.required);
  const offline = context.mode === 'offline';
  const recommendations = offline ? volumes.map(recommendAt) : [];
  const moveOn = offline
    ? moveOnPoints(
        plans.map((plan) => {
          const at = capacityAt(rated.get(plan)!.limits, volumes[0], load, plan.input.profile);
          return { stage: plan.resources.stage, maxRps: at.maxRps, limitedBy: at.limitedBy, availability: rated.get(plan)!.availability };
        }),
        load,
        recommendAt,
        context.required,
      )
    : [];
  const warnings = [
    ...new Set(
      plans.flatMap((plan) =>
        plan.volumes.flatMap((volume) => scalingWarnings(plan.resources, volume, load, plan.input.profile, plan.input.capacity)),
      ),
    ),
  ];
  const table = priceTable(context.priceRegion);
  return {
    region: context.priceRegion,
    pricesAsOf: table.asOf,
    pricesVersion: table.version,
    generatedAt: (context.now ?? new Date()).toISOString(),
    mode: context.mode,
    templates: context.templates,
    freeTier: context.freeTier,
    ...(context.priceOverrides && { priceOverrides: overridesApplied(context.priceOverrides, estimates) }),
    capacity: context.capacity,
    profiles: Object.fromEntries(plans.map((plan) => [plan.resources.stage, plan.input.profile])),
    volumes,
    load,
    ...(context.required === undefined ? {} : { required: context.required }),
    estimates,
    recommendations,
    moveOn,
    warnings,
    cheapest: comparable ? volumes.map((volume) => ({ requestsPerMonth: volume, stage: cheapestStage(costsAt(volume)) })) : [],
    overCapacity: [...new Set(estimates.flatMap((estimate) => estimate.overCapacity))],
    crossovers: comparable ? findCrossovers(costsAt, low, high) : [],
    pairCrossovers,
    curves,
    unpriced: dedupe(estimates.flatMap((estimate) => estimate.unpriced)),
    notes: [...new Set([...estimates.flatMap((estimate) => estimate.notes), ...(context.notes ?? [])])],
    missing: context.missing,
    live: context.live,
    ...(context.overlap && { overlap: context.overlap }),
  };
}

/** Which overrides changed a price, and how many distinct prices (region and key) each changed. */
function overridesApplied(
  { file, overrides }: { file: string; overrides: PriceOverrides },
  estimates: StageEstimate[],
): NonNullable<CostReport['priceOverrides']> {
  const prices = new Map<string, Set<string>>();
  for (const line of estimates.flatMap((estimate) => estimate.lines))
    for (const override of line.overrides ?? []) {
      if (!prices.has(override)) prices.set(override, new Set());
      prices.get(override)!.add(`${line.priceRegion}|${line.priceKey}`);
    }
  const labels = overrideLabels(overrides);
  return {
    file,
    applied: labels.filter((label) => prices.has(label)).map((override) => ({ override, prices: prices.get(override)!.size })),
    unused: labels.filter((label) => !prices.has(label)),
  };
}

/** The services that appear in any estimate, in the fixed display order. */
export function servicesIn(estimates: StageEstimate[]): string[] {
  return SERVICES.filter((service) => estimates.some((estimate) => estimate.byService[service] !== undefined));
}

/** The estimate of `stage` at `volume`. */
export function estimateOf(report: CostReport, stage: string, volume: number): StageEstimate | undefined {
  return report.estimates.find((estimate) => estimate.stage === stage && estimate.requestsPerMonth === volume);
}

export function stagesOf(report: CostReport): string[] {
  return [...new Set(report.estimates.map((estimate) => estimate.stage))];
}

/** Estimates shown side by side: offline, every stage at one volume; live, every stage at its measured volume. */
export function sideBySide(report: CostReport): { title: string; estimates: RatedEstimate[] }[] {
  if (report.mode === 'live') return [{ title: 'at the measured volumes', estimates: report.estimates }];
  return report.volumes.map((volume) => ({
    title: `at ${formatVolume(volume)} requests a month`,
    estimates: report.estimates.filter((estimate) => estimate.requestsPerMonth === volume),
  }));
}
