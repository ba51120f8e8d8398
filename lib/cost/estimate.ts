/**
 * Quantities × prices: a stage's monthly cost at a volume, by AWS service, split into the fixed part
 * (what the stage costs with no requests at all) and the part that grows with requests; then the
 * comparison across stages: the cheapest at each volume and the volumes where that changes.
 */
import type { StageResources, UnpricedResource } from './discovery';
import { chooseDelivery, wafCharges } from './flat-rate';
import { formatUsd, formatVolume } from './format';
import { MissingPriceError, MissingPriceTableError, type Price, priceTable, tieredCost } from './prices';
import { overriddenPrice, type PriceOverrides } from './prices/overrides';
import type { Capacity } from '../capacity-figures';
import { ASSUMPTIONS, type TrafficProfile } from './profile';
import { type Charge, type Service, type StageUsage, stageUsage } from './usage';

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
  /** Discounts, private prices and a savings plan (`--prices FILE`). */
  readonly overrides?: PriceOverrides;
}

export interface PricedCharge extends Charge {
  readonly priceRegion: string;
  readonly usd: number;
  /** The price overrides that changed this line's price. */
  readonly overrides?: string[];
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
  const priced: { charge: Charge; priceRegion: string; price: Price; overrides: string[] }[] = [];
  for (const charge of charges) {
    const priceRegion = priceRegionOf(options, charge.region);
    const [stack, id] = splitResource(charge.resource);
    let price: Price;
    let overrides: string[];
    try {
      ({ price, applied: overrides } = overriddenPrice(
        priceTable(priceRegion).get(charge.priceKey),
        charge.priceKey,
        charge.service,
        options.overrides,
      ));
      if (price.unit !== charge.unit)
        throw new Error(`price ${charge.priceKey} is per ${price.unit}, but the usage model counts ${charge.unit}`);
    } catch (error) {
      if (error instanceof MissingPriceError || error instanceof MissingPriceTableError) {
        unpriced.push({ stage, stack, id, type: charge.priceKey, reason: error.message });
        continue;
      }
      throw error;
    }
    priced.push({ charge, priceRegion, price, overrides });
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
    return { ...entry.charge, priceRegion: entry.priceRegion, usd, ...(entry.overrides.length > 0 && { overrides: entry.overrides }) };
  });
  return { lines, unpriced };
}

/**
 * Prices a stage's usage: its charges, and for each of its CloudFront distributions pay-as-you-go or
 * the cheapest flat-rate plan that covers the month, whichever costs less; with a note per
 * distribution on the choice and on what a WAF web ACL would add.
 */
export function priceUsage(
  usage: Pick<StageUsage, 'charges' | 'distributions'>,
  options: PricingOptions,
  where: { stage: string; requestsPerMonth: number },
): { lines: PricedCharge[]; unpriced: UnpricedResource[]; notes: string[] } {
  const payg = priceCharges(usage.charges, options, where.stage);
  if (usage.distributions.length === 0) return { ...payg, notes: [] };
  const total = (lines: PricedCharge[]) => lines.reduce((sum, line) => sum + line.usd, 0);
  const at = `${where.stage} at ${formatVolume(where.requestsPerMonth)} requests/month`;
  const choices = usage.distributions.map((traffic) => {
    const bundled = payg.lines.filter((line) => line.bundle === traffic.resource);
    const feeOf = (plan: { plan: string }) =>
      total(
        priceCharges(
          [
            {
              service: 'Amazon CloudFront',
              resource: traffic.resource,
              region: traffic.region,
              priceKey: `cloudfront.flat-rate:${plan.plan}`,
              unit: 'plan-month',
              quantity: 1,
              what: '',
            },
          ],
          options,
        ).lines,
      );
    const choice = chooseDelivery(traffic, total(bundled), feeOf, at);
    const waf = priceCharges(wafCharges(traffic), options).lines;
    const wafNote =
      choice.plan !== undefined
        ? 'its plan includes a WAF web ACL'
        : `a WAF web ACL on it would add ${formatUsd(total(waf))} a month (${waf.map((line) => `${line.what} ${formatUsd(line.usd)}`).join(', ')}; ${ASSUMPTIONS.wafRules} rules)`;
    return { ...choice, note: `${choice.note}; ${wafNote}` };
  });
  const flat = choices.filter((choice) => choice.charge !== undefined);
  const notes = choices.map((choice) => choice.note);
  const decided = new Set(choices.map((choice) => choice.distribution));
  const described = (lines: PricedCharge[]) =>
    lines.map((line) => (line.bundle !== undefined && decided.has(line.bundle) ? { ...line, what: `${line.what} (pay-as-you-go)` } : line));
  if (flat.length === 0) return { lines: described(payg.lines), unpriced: payg.unpriced, notes };
  // Charges a plan bundles go; its fee comes in. Priced again, as free allowances and tiers pool what is left.
  const covered = new Set(flat.map((choice) => choice.distribution));
  const kept = usage.charges.filter((charge) => charge.bundle === undefined || !covered.has(charge.bundle));
  const priced = priceCharges([...kept, ...flat.map((choice) => choice.charge!)], options, where.stage);
  return { lines: described(priced.lines), unpriced: priced.unpriced, notes };
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
  const { lines, unpriced, notes } = priceUsage(usage, input.pricing, { stage: stage.stage, requestsPerMonth });
  const idle = priceUsage(at(0), input.pricing, { stage: stage.stage, requestsPerMonth: 0 }).lines;

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
    notes: [...new Set([...usage.notes, ...notes])],
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
