/**
 * JSON: `--format json` prints the summary document (region, pricesAsOf, rows, unpriced); the report
 * file holds the whole report (profiles, capacity, notes, crossovers, curves, line items) besides.
 */
import type { UnpricedResource } from '../discovery';
import type { StageEstimate } from '../estimate';
import type { MoveOn, Recommendation } from '../recommend';
import type { CostReport } from './model';

/** A row of `--format json`: the estimate's figures, with each service's monthly cost as one number. */
export type JsonRow = Pick<StageEstimate, 'stage' | 'requestsPerMonth' | 'monthlyUsd' | 'usdPerMillion' | 'fixedUsd' | 'variableUsd'> & {
  readonly byService: Record<string, number>;
  /** What the stage carries at this volume: its peak, its largest volume, what limits it, the headroom, whether it absorbs the spike. */
  readonly capacity: { peakRps: number; maxRequestsPerMonth: number; limitedBy: string; headroom: number; absorbsSpike: boolean };
  readonly availability: {
    survivesInstanceLoss: boolean;
    survivesAzLoss: boolean;
    survivesRegionLoss: boolean;
    deployDowntimeSeconds: number;
  };
};

export interface JsonSummary {
  readonly region: string;
  readonly pricesAsOf: string;
  readonly rows: JsonRow[];
  readonly recommendations: Recommendation[];
  readonly moveOn: MoveOn[];
  readonly unpriced: UnpricedResource[];
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

function jsonRows(report: CostReport): JsonRow[] {
  return report.estimates.map((estimate) => ({
    stage: estimate.stage,
    requestsPerMonth: estimate.requestsPerMonth,
    monthlyUsd: cents(estimate.monthlyUsd),
    usdPerMillion: Math.round(estimate.usdPerMillion * 1e4) / 1e4,
    fixedUsd: cents(estimate.fixedUsd),
    variableUsd: cents(estimate.variableUsd),
    byService: Object.fromEntries(Object.entries(estimate.byService).map(([service, cost]) => [service, cents(cost.monthlyUsd)])),
    capacity: {
      peakRps: Math.round(estimate.capacity.peakRps * 100) / 100,
      maxRequestsPerMonth: Math.round(estimate.capacity.maxRequestsPerMonth),
      limitedBy: estimate.capacity.limitedBy,
      headroom: Math.round(estimate.capacity.headroom * 100) / 100,
      absorbsSpike: estimate.capacity.absorbsSpike,
    },
    availability: {
      survivesInstanceLoss: estimate.availability.survivesInstanceLoss,
      survivesAzLoss: estimate.availability.survivesAzLoss,
      survivesRegionLoss: estimate.availability.survivesRegionLoss,
      deployDowntimeSeconds: estimate.availability.deployDowntimeSeconds,
    },
  }));
}

/** The one document `--format json` prints. */
export function jsonSummary(report: CostReport): JsonSummary {
  return {
    region: report.region,
    pricesAsOf: report.pricesAsOf,
    rows: jsonRows(report),
    recommendations: report.recommendations,
    moveOn: report.moveOn,
    unpriced: report.unpriced,
  };
}

/** The report file: the summary's fields first, then everything else. */
export function renderJsonReport(report: CostReport): string {
  const { estimates, ...rest } = report;
  const document = {
    ...jsonSummary(report),
    ...rest,
    lineItems: estimates.map((estimate) => ({
      stage: estimate.stage,
      requestsPerMonth: estimate.requestsPerMonth,
      lines: estimate.lines.map((line) => ({ ...line, usd: Math.round(line.usd * 1e4) / 1e4 })),
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
