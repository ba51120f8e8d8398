/**
 * What the table, markdown and HTML renderers share: the side-by-side rows of a group of estimates,
 * the sentences under them (cheapest, crossovers, notes, unpriced, missing stages) and the rows of the
 * traffic profile.
 */
import type { StageEstimate } from '../estimate';
import { formatUsd, formatVolume } from '../format';
import type { OverlapAtVolume, OverlapCost } from '../overlap';
import type { TrafficProfile } from '../profile';
import { type CostReport, type RatedEstimate, servicesIn } from './model';

export interface Grid {
  readonly header: string[];
  readonly rows: { label: string; cells: string[]; emphasis?: boolean }[];
}

/** Services down, stages across; totals, the fixed and per-request parts, and the cost per million. */
export function comparisonGrid(estimates: RatedEstimate[], live: boolean): Grid {
  const header = ['', ...estimates.map((e) => (live ? `${e.stage} (${formatVolume(e.requestsPerMonth)}/month)` : e.stage))];
  const rows: Grid['rows'] = servicesIn(estimates).map((service) => ({
    label: service,
    cells: estimates.map((e) => {
      const cost = e.byService[service as keyof StageEstimate['byService']];
      return cost === undefined ? '' : formatUsd(cost.monthlyUsd);
    }),
  }));
  rows.push({ label: 'Total per month', cells: estimates.map((e) => formatUsd(e.monthlyUsd)), emphasis: true });
  rows.push({ label: '  fixed', cells: estimates.map((e) => formatUsd(e.fixedUsd)) });
  rows.push({ label: '  per-request', cells: estimates.map((e) => formatUsd(e.variableUsd)) });
  rows.push({
    label: 'Per million requests',
    cells: estimates.map((e) => `${formatUsd(e.usdPerMillion)}${e.overCapacity.length > 0 ? ' (over capacity)' : ''}`),
    emphasis: true,
  });
  rows.push({ label: 'Carries it? (peak × spike)', cells: estimates.map(carries) });
  rows.push({ label: 'Survives', cells: estimates.map((e) => survives(e)) });
  rows.push({
    label: 'Deploy downtime',
    cells: estimates.map((e) => (e.availability.deployDowntimeSeconds === 0 ? 'none' : `~${e.availability.deployDowntimeSeconds} s`)),
  });
  return { header, rows };
}

/** The overlap of a move (`--overlap`), volumes across: its title, its rows, and what to know about it. */
export function overlapGrid(overlap: OverlapCost): Grid & { title: string; notes: string[] } {
  const { from, to, days, schedule, volumes } = overlap;
  const money = (usd: (v: OverlapAtVolume) => number) => volumes.map((v) => formatUsd(usd(v)));
  /** The overlap less another way, signed: + it costs more, − less. */
  const versus = (other: (v: OverlapAtVolume) => number) =>
    volumes.map((v) => {
      const difference = v.usd - other(v);
      return `${difference < 0 ? '−' : '+'}${formatUsd(Math.abs(difference))}`;
    });
  const steps = schedule.map((step) => `${step.share * 100}%`).join(' → ');
  const stepDays = [...new Set(schedule.map((step) => Number(step.days.toFixed(2))))].join(' / ');
  return {
    title: `Moving from ${from} to ${to}: ${days} days side by side, ${steps} of the traffic on ${to} (${stepDays} days each)`,
    header: ['', ...volumes.map((v) => `${formatVolume(v.requestsPerMonth)}/month`)],
    rows: [
      { label: `Overlap, ${days} days`, cells: money((v) => v.usd), emphasis: true },
      { label: `  ${from}`, cells: money((v) => v.fromUsd) },
      { label: `  ${to}`, cells: money((v) => v.toUsd) },
      { label: '  weighted records', cells: money((v) => v.shiftUsd) },
      { label: `Staying on ${from}`, cells: money((v) => v.stayingOnFromUsd) },
      { label: '  the overlap, more (+) or less (−)', cells: versus((v) => v.stayingOnFromUsd) },
      { label: `${to} alone`, cells: money((v) => v.newAloneUsd) },
      { label: '  the overlap, more (+) or less (−)', cells: versus((v) => v.newAloneUsd) },
    ],
    notes: overlap.notes,
  };
}

/** "yes, 34× its peak" or "no, 4.1× its peak": how many times the volume's peak the stage serves at its largest. */
function carries(estimate: RatedEstimate): string {
  const { capacity } = estimate;
  const times = capacity.headroom >= 100 ? Math.round(capacity.headroom).toLocaleString('en') : capacity.headroom.toPrecision(2);
  return `${capacity.absorbsSpike ? 'yes' : 'no'}, ${times}× peak`;
}

/** "instance, AZ loss", or "no loss" when it survives none. */
export function survives(estimate: Pick<RatedEstimate, 'availability'>): string {
  const { availability: a } = estimate;
  const losses = [a.survivesInstanceLoss && 'instance', a.survivesAzLoss && 'AZ', a.survivesRegionLoss && 'region'].filter(Boolean);
  return losses.length === 0 ? 'no loss' : `${losses.join(', ')} loss`;
}

/** The comparison in sentences: which stage to run at each volume and why, where to move on, then the prices alone. */
export function findings(report: CostReport): string[] {
  const lines: string[] = [];
  for (const recommendation of report.recommendations)
    lines.push(`Run at ${formatVolume(recommendation.requestsPerMonth)} requests a month: ${recommendation.reason}`);
  for (const line of capacityLines(report)) lines.push(line);
  for (const move of report.moveOn) {
    lines.push(
      `Move on from ${move.from} at ${formatVolume(move.requestsPerMonth)}${move.to === 'none' ? '' : ` to ${move.to}`}: ${move.reason}.`,
    );
  }
  if (lines.length > 0) lines.push('');
  lines.push(...priceFindings(report));
  return lines;
}

/** The prices alone: the cheapest stage at each volume, where it changes, and each pair's crossover. */
export function priceFindings(report: CostReport): string[] {
  const lines: string[] = [];
  for (const { requestsPerMonth, stage } of report.cheapest) {
    lines.push(
      stage === 'none'
        ? `No stage can carry ${formatVolume(requestsPerMonth)} requests a month as built.`
        : `Cheapest at ${formatVolume(requestsPerMonth)} requests a month: ${stage}.`,
    );
  }
  if (report.cheapest.length > 0) {
    lines.push(
      report.crossovers.length === 0
        ? `The cheapest stage does not change between ${formatVolume(report.curves[0].points[0].requestsPerMonth)} and ${formatVolume(report.curves[0].points.at(-1)!.requestsPerMonth)} requests a month.`
        : `The cheapest stage changes: ${report.crossovers.map((c) => (c.to === 'none' ? `above ${formatVolume(c.requestsPerMonth)} no stage carries the traffic as built` : `${c.from === 'none' ? 'none' : c.from} → ${c.to} at ${formatVolume(c.requestsPerMonth)}`)).join('; ')}.`,
    );
  }
  if (report.pairCrossovers.length > 0) {
    lines.push(
      `Pairwise crossovers: ${report.pairCrossovers.map((c) => `${c.stages[0]}/${c.stages[1]} at ${formatVolume(c.requestsPerMonth)} (${c.cheaperAbove} cheaper above)`).join('; ')}.`,
    );
  }
  return lines;
}

/** Each stage's ceiling (the same at every volume): what it carries at its largest, what limits it, how fast it grows. */
export function capacityLines(report: CostReport): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const { stage, capacity, availability } of report.estimates) {
    if (seen.has(stage)) continue;
    seen.add(stage);
    const grows =
      capacity.scaleOutSeconds === null
        ? 'cannot add capacity'
        : capacity.scaleOutSeconds < 60
          ? 'adds capacity in seconds'
          : `adds capacity in about ${Math.round(capacity.scaleOutSeconds / 60)} minutes`;
    lines.push(
      `Capacity of ${stage}: up to ${Math.round(capacity.maxRps).toLocaleString('en')} req/s, ${formatVolume(capacity.maxRequestsPerMonth)} requests a month at a ${report.load.peak.toFixed(2)}× peak ` +
        `(limited by ${capacity.limitedBy}); ${grows}; deploys: ${availability.deployment}.`,
    );
  }
  return lines;
}

/** The profile's fields down, one column for all stages when they share it, else one per stage. */
export function profileRows(profiles: Record<string, TrafficProfile>): string[][] {
  const stages = Object.keys(profiles);
  const first = profiles[stages[0]];
  const same = stages.every((stage) => JSON.stringify(profiles[stage]) === JSON.stringify(first));
  const shown = same ? { all: first } : profiles;
  // Optional fields (a measured one) may be set for some stages only.
  const keys = [...new Set(Object.values(shown).flatMap((profile) => Object.keys(profile)))];
  return keys.map((key) => [key, ...Object.values(shown).map((profile) => JSON.stringify(profile[key as keyof TrafficProfile]) ?? '')]);
}

export function unpricedLines(report: CostReport): string[] {
  return report.unpriced.map((u) => `${u.stage ?? ''} ${u.stack}/${u.id} (${u.type}): ${u.reason}`.trim());
}

export function missingLines(report: CostReport): string[] {
  return report.missing.map((m) => `${m.stage}: ${m.reason}`);
}

/** One line on where the figures come from. */
export function provenance(report: CostReport): string {
  return (
    `Prices: ${report.region}, as of ${report.pricesAsOf} (table version ${report.pricesVersion})${report.freeTier ? ', always-free allowances applied' : ', without free allowances'}. ` +
    overridesLine(report) +
    `Templates: ${report.templates}. Capacity: ${report.capacity.source}.`
  );
}

/** Which price overrides applied, if a file gave any. */
function overridesLine(report: CostReport): string {
  const overrides = report.priceOverrides;
  if (overrides === undefined) return '';
  const applied = overrides.applied.map((a) => `${a.override} (${a.prices} price${a.prices === 1 ? '' : 's'})`);
  return (
    `Price overrides from ${overrides.file}: ${applied.length > 0 ? applied.join('; ') : 'none applied'}` +
    `${overrides.unused.length > 0 ? `; not used by any line: ${overrides.unused.join('; ')}` : ''}. `
  );
}
