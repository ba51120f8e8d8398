/**
 * JSON: `--format json` prints the summary document (region, pricesAsOf, rows, unpriced); the report
 * file holds the whole report (profiles, capacity, notes, crossovers, curves, line items) besides.
 */
import type { UnpricedResource } from '../discovery';
import type { StageEstimate } from '../estimate';
import type { OverlapCost } from '../overlap';
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

/** What a move costs at one volume while both stages run (`--overlap`), USD. */
export interface JsonOverlapVolume {
  readonly requestsPerMonth: number;
  /** The whole overlap, and its parts: the old stage, the new one, the weighted records. */
  readonly cost: { totalUsd: number; fromUsd: number; toUsd: number; shiftUsd: number };
  /** The old stage alone over the same days, and how much more the overlap costs. */
  readonly versusStayingOnFrom: { usd: number; extraUsd: number };
  /** The new stage alone over the same days, and how much more the overlap costs. */
  readonly versusNewAlone: { usd: number; extraUsd: number };
}

export interface JsonOverlap extends Pick<OverlapCost, 'from' | 'to' | 'days' | 'schedule' | 'notes'> {
  readonly volumes: JsonOverlapVolume[];
}

export interface JsonSummary {
  readonly region: string;
  readonly pricesAsOf: string;
  readonly rows: JsonRow[];
  readonly recommendations: Recommendation[];
  readonly moveOn: MoveOn[];
  readonly unpriced: UnpricedResource[];
  readonly overlap?: JsonOverlap;
}

function jsonOverlap({ from, to, days, schedule, notes, volumes }: OverlapCost): JsonOverlap {
  return {
    from,
    to,
    days,
    schedule,
    notes,
    volumes: volumes.map((v) => ({
      requestsPerMonth: v.requestsPerMonth,
      cost: { totalUsd: cents(v.usd), fromUsd: cents(v.fromUsd), toUsd: cents(v.toUsd), shiftUsd: cents(v.shiftUsd) },
      versusStayingOnFrom: { usd: cents(v.stayingOnFromUsd), extraUsd: cents(v.usd - v.stayingOnFromUsd) },
      versusNewAlone: { usd: cents(v.newAloneUsd), extraUsd: cents(v.usd - v.newAloneUsd) },
    })),
  };
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
    ...(report.overlap && { overlap: jsonOverlap(report.overlap) }),
  };
}

/** The report file: the summary's fields first, then everything else. */
export function renderJsonReport(report: CostReport): string {
  const { estimates, overlap, ...rest } = report;
  const document = {
    ...jsonSummary(report),
    ...rest,
    ...(overlap && { overlap: jsonOverlap(overlap) }),
    lineItems: estimates.map((estimate) => ({
      stage: estimate.stage,
      requestsPerMonth: estimate.requestsPerMonth,
      lines: estimate.lines.map((line) => ({ ...line, usd: Math.round(line.usd * 1e4) / 1e4 })),
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
