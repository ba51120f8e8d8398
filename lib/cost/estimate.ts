/**
 * Quantities × prices: a stage's monthly cost at a volume, by AWS service, split into the fixed part
 * (what the stage costs with no requests at all) and the part that grows with requests; then the
 * comparison across stages: the cheapest at each volume and the volumes where that changes.
 */
import type { StageResources, UnpricedResource } from './discovery';
import { MissingPriceError, MissingPriceTableError, type Price, priceTable, tieredCost } from './prices';
import type { Capacity, TrafficProfile } from './profile';
import { type Charge, type Service, stageUsage } from './usage';

/** Where a charge is priced: the home region's in `--region`'s prices, every other region in its own. */
export function priceRegionOf(options: Pick<PricingOptions, 'homeRegion' | 'priceRegion'>, region: string): string {
  return region === options.homeRegion ? options.priceRegion : region;
}

export interface PricingOptions {
  /** The region the app was synthesised for. */
  readonly homeRegion: string;
  /** Price the home region's resources in this region instead (`--region`). */
  readonly priceRegion: string;
  /** Apply AWS's always-free allowances (CloudFront 1 TB and 10M requests, Lambda, CloudWatch, …). */
  readonly freeTier: boolean;
}

export interface PricedCharge extends Charge {
  readonly priceRegion: string;
  readonly usd: number;
}

export interface ServiceCost {
  readonly fixedUsd: number;
  readonly variableUsd: number;
  readonly monthlyUsd: number;
}

export interface StageEstimate {
  readonly stage: string;
  readonly requestsPerMonth: number;
  readonly monthlyUsd: number;
  readonly usdPerMillion: number;
  readonly fixedUsd: number;
  readonly variableUsd: number;
  readonly byService: Partial<Record<Service, ServiceCost>>;
  readonly lines: PricedCharge[];
  readonly unpriced: UnpricedResource[];
  readonly notes: string[];
  /** Why the stage cannot carry this volume as built; empty when it can. */
  readonly overCapacity: string[];
}

/** Prices charges: free allowances first (per account), then volume tiers (per price and region). */
export function priceCharges(
  charges: Charge[],
  options: PricingOptions,
  stage?: string,
): { lines: PricedCharge[]; unpriced: UnpricedResource[] } {
  const unpriced: UnpricedResource[] = [];
  const priced: { charge: Charge; priceRegion: string; price: Price }[] = [];
  for (const charge of charges) {
    const priceRegion = priceRegionOf(options, charge.region);
    const [stack, id] = splitResource(charge.resource);
    let price: Price;
    try {
      price = priceTable(priceRegion).get(charge.priceKey);
      if (price.unit !== charge.unit)
        throw new Error(`price ${charge.priceKey} is per ${price.unit}, but the usage model counts ${charge.unit}`);
    } catch (error) {
      if (error instanceof MissingPriceError || error instanceof MissingPriceTableError) {
        unpriced.push({ stage, stack, id, type: charge.priceKey, reason: error.message });
        continue;
      }
      throw error;
    }
    priced.push({ charge, priceRegion, price });
  }

  // Free allowances are per account, across regions: the total in a pool is reduced by the
  // allowance, every charge in it in proportion.
  const poolTotals = new Map<string, number>();
  const poolOf = (entry: (typeof priced)[number]) => {
    const free = entry.price.free;
    return options.freeTier && free ? { key: free.pool ?? entry.charge.priceKey, allowance: free.quantity } : undefined;
  };
  for (const entry of priced) {
    const pool = poolOf(entry);
    if (pool) poolTotals.set(pool.key, (poolTotals.get(pool.key) ?? 0) + entry.charge.quantity);
  }
  const billable = priced.map((entry) => {
    const pool = poolOf(entry);
    const total = pool ? (poolTotals.get(pool.key) as number) : 0;
    const share = pool && total > 0 ? Math.max(0, total - pool.allowance) / total : 1;
    return { ...entry, quantity: entry.charge.quantity * share };
  });

  // Volume tiers apply to the month's total of a price in a region.
  const keyTotals = new Map<string, number>();
  for (const entry of billable) {
    const key = `${entry.priceRegion}|${entry.charge.priceKey}`;
    keyTotals.set(key, (keyTotals.get(key) ?? 0) + entry.quantity);
  }
  const lines = billable.map((entry) => {
    const total = keyTotals.get(`${entry.priceRegion}|${entry.charge.priceKey}`) as number;
    const usd = total > 0 ? (tieredCost(entry.price, total) * entry.quantity) / total : 0;
    return { ...entry.charge, priceRegion: entry.priceRegion, usd };
  });
  return { lines, unpriced };
}

function splitResource(resource: string): [string, string] {
  const slash = resource.indexOf('/');
  return [resource.slice(0, slash), resource.slice(slash + 1)];
}

function byServiceTotals(lines: PricedCharge[]): Map<Service, number> {
  const totals = new Map<Service, number>();
  for (const line of lines) totals.set(line.service, (totals.get(line.service) ?? 0) + line.usd);
  return totals;
}

export interface EstimateInput {
  readonly profile: TrafficProfile;
  readonly capacity: Capacity;
  readonly pricing: PricingOptions;
}

/** The monthly cost of `stage` at `requestsPerMonth`. */
export function estimateStage(stage: StageResources, requestsPerMonth: number, input: EstimateInput): StageEstimate {
  const at = (volume: number) => stageUsage(stage, { requestsPerMonth: volume, profile: input.profile, capacity: input.capacity });
  const usage = at(requestsPerMonth);
  const { lines, unpriced } = priceCharges(usage.charges, input.pricing, stage.stage);
  const idle = priceCharges(at(0).charges, input.pricing, stage.stage).lines;

  const totals = byServiceTotals(lines);
  const fixed = byServiceTotals(idle);
  const byService: Partial<Record<Service, ServiceCost>> = {};
  for (const service of new Set([...totals.keys(), ...fixed.keys()])) {
    const monthlyUsd = totals.get(service) ?? 0;
    const fixedUsd = Math.min(fixed.get(service) ?? 0, monthlyUsd);
    byService[service] = { fixedUsd, variableUsd: monthlyUsd - fixedUsd, monthlyUsd };
  }
  const monthlyUsd = lines.reduce((sum, line) => sum + line.usd, 0);
  const fixedUsd = Object.values(byService).reduce((sum, cost) => sum + cost.fixedUsd, 0);
  return {
    stage: stage.stage,
    requestsPerMonth,
    monthlyUsd,
    usdPerMillion: requestsPerMonth > 0 ? monthlyUsd / (requestsPerMonth / 1e6) : NaN,
    fixedUsd,
    variableUsd: monthlyUsd - fixedUsd,
    byService,
    lines,
    unpriced: dedupe([...stage.unpriced, ...usage.unpriced, ...unpriced]),
    notes: [...new Set(usage.notes)],
    overCapacity: usage.overCapacity,
  };
}

/** Unpriced resources listed once each (the same one turns up at every volume). */
export function dedupe(entries: UnpricedResource[]): UnpricedResource[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = `${entry.stack}|${entry.id}|${entry.type}|${entry.reason}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** A volume where the cheapest stage changes. */
export interface Crossover {
  readonly requestsPerMonth: number;
  readonly from: string;
  readonly to: string;
}

/** Evenly spaced volumes on a log scale, `perDecade` a decade, from `low` to `high`. */
export function logVolumes(low: number, high: number, perDecade: number): number[] {
  const steps = Math.round(Math.log10(high / low) * perDecade);
  return Array.from({ length: steps + 1 }, (_, i) => low * 10 ** (i / perDecade));
}

/**
 * The stage with the lowest monthly cost at a volume (the first listed on a tie); a stage that
 * cannot carry the volume costs Infinity. None when no stage can carry it.
 */
export function cheapestStage(costs: { stage: string; monthlyUsd: number }[]): string {
  const best = costs.reduce((best, cost) => (cost.monthlyUsd < best.monthlyUsd - 1e-9 ? cost : best));
  return Number.isFinite(best.monthlyUsd) ? best.stage : 'none';
}

/**
 * Where the cheapest stage changes between `low` and `high`: scanned on a log grid, each change
 * narrowed down by bisection to 0.1%.
 */
export function findCrossovers(
  costAt: (volume: number) => { stage: string; monthlyUsd: number }[],
  low: number,
  high: number,
): Crossover[] {
  const grid = logVolumes(low, high, 48);
  const crossovers: Crossover[] = [];
  let previousVolume = grid[0];
  let previous = cheapestStage(costAt(previousVolume));
  for (const volume of grid.slice(1)) {
    const cheapest = cheapestStage(costAt(volume));
    if (cheapest !== previous) {
      let [lo, hi] = [previousVolume, volume];
      while (hi / lo > 1.001) {
        const mid = Math.sqrt(lo * hi);
        if (cheapestStage(costAt(mid)) === previous) lo = mid;
        else hi = mid;
      }
      crossovers.push({ requestsPerMonth: hi, from: previous, to: cheapestStage(costAt(hi)) });
      previous = cheapest;
    }
    previousVolume = volume;
  }
  return crossovers;
}
