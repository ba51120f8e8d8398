/**
 * One `npm run cost`: the templates (synthesised or read), each stage's resources, offline at the
 * volumes asked for or live at the measured volume, and the report.
 */
import { controlPlaneStacks, discoverResources, type StageResources } from './discovery';
import { type EstimateInput, priceRegionOf } from './estimate';
import { CredentialsError, LiveError } from './live/errors';
import { type LiveClients, measureStage } from './live/measure';
import type { RetryOptions } from './live/retry';
import { priceTable } from './prices';
import type { LoadOptions } from './capacity';
import { type OverlapCost, overlapCost, type OverlapRequest } from './overlap';
import type { PriceOverrides } from './prices/overrides';
import type { Capacity } from '../capacity-figures';
import type { TrafficProfile } from './profile';
import type { Requirement } from './recommend';
import type { Progress } from './progress';
import { buildReport, type CostReport, type LiveMeasurement, type StagePlan } from './report/model';
import { STAGE_IDS, stageById, type StageId } from '../stages';
import { readCloudAssembly, stacksOfStage, synthesiseApp } from './templates';

export interface CostRequest {
  readonly stages: StageId[];
  /** The stages were named on the command line (a missing one is then an error, not a note). */
  readonly stagesNamed: boolean;
  readonly volumes: number[];
  /** Price (and, live, look up) the home region's stacks in this region; default the app's region. */
  readonly priceRegion?: string;
  readonly freeTier: boolean;
  /** Price overrides (`--prices FILE`) and the file they came from. */
  readonly priceOverrides?: { readonly file: string; readonly overrides: PriceOverrides };
  readonly profile: TrafficProfile;
  readonly capacity: Capacity;
  /** Peak and spike (`--peak`, `--spike`); default the daily profile's peak and 10×. */
  readonly load?: LoadOptions;
  /** What every volume must survive (`--require`); default by volume. */
  readonly required?: Requirement;
  readonly cdkOut?: string;
  readonly context: Record<string, string>;
  /** Price the overlap of a move between two stages (`--overlap`); offline only. */
  readonly overlap?: OverlapRequest;
  readonly live?: {
    readonly window: { seconds: number; label: string };
    readonly clients: LiveClients;
    readonly now: Date;
    readonly retry?: RetryOptions;
  };
}

export interface CostRun {
  readonly report: CostReport;
  /** Stages that were named but could not be estimated. */
  readonly failedNamedStages: string[];
}

export async function runCost(request: CostRequest, progress: Progress): Promise<CostRun> {
  progress.update(request.cdkOut ? `reading the cloud assembly in ${request.cdkOut}` : 'synthesising the CDK app (no AWS calls)');
  const { stacks, homeRegion } = request.cdkOut ? readCloudAssembly(request.cdkOut) : synthesiseApp(request.context);
  const priceRegion = request.priceRegion ?? homeRegion;
  priceTable(priceRegion); // fails early, naming the regions that have a table
  const pricing = { homeRegion, priceRegion, freeTier: request.freeTier, overrides: request.priceOverrides?.overrides };

  /** A stage's resources, with the control plane it cannot run without; undefined when the app has none of its stacks. */
  const discover = (stage: StageId): StageResources | undefined => {
    const stageStacks = stacksOfStage(stage, stacks);
    if (stageStacks.length === 0) return undefined;
    const resources = discoverResources(stage, stageStacks);
    const otherStages = STAGE_IDS.filter((other) => other !== stage);
    const plane = controlPlaneStacks(
      stageStacks,
      otherStages.flatMap((other) => stacksOfStage(other, stacks)),
    );
    const planeStage = plane && otherStages.find((other) => stacksOfStage(other, plane.stacks).length > 0);
    return plane && planeStage
      ? {
          ...resources,
          controlPlane: { reason: plane.reason, resources: discoverResources(planeStage, stacksOfStage(planeStage, plane.stacks)) },
        }
      : resources;
  };
  const notFound = (stage: StageId) => `no ${stageById(stage).stackName} stack in ${request.cdkOut ?? 'the CDK app'}`;
  const missing: { stage: string; reason: string }[] = [];
  const found: StageResources[] = [];
  for (const stage of request.stages) {
    const resources = discover(stage);
    if (resources === undefined) missing.push({ stage, reason: notFound(stage) });
    else found.push(resources);
  }

  const plans: StagePlan[] = [];
  const live: LiveMeasurement[] = [];
  const notes: string[] = [];
  const input = (profile: TrafficProfile): EstimateInput => ({ profile, capacity: request.capacity, pricing });
  if (request.live === undefined) {
    for (const resources of found) plans.push({ resources, volumes: request.volumes, input: input(request.profile) });
  } else {
    let metricsRequested = 0;
    for (const resources of found) {
      try {
        const measured = await measureStage(resources, request.profile, {
          clients: request.live.clients,
          window: request.live.window,
          now: request.live.now,
          regionOf: (region) => priceRegionOf(pricing, region),
          retry: request.live.retry,
          progress: (message) => progress.update(message),
        });
        metricsRequested += measured.metricsRequested;
        live.push(measured.measurement);
        const { stage, notes: derived, warnings } = measured.measurement;
        notes.push(...warnings.map((warning) => `Warning: ${stage}: ${warning}.`), ...derived.map((note) => `${stage}: ${note}.`));
        plans.push({ resources: measured.resources, volumes: [measured.measurement.requestsPerMonth], input: input(measured.profile) });
      } catch (error) {
        if (error instanceof CredentialsError || !(error instanceof LiveError)) throw error;
        missing.push({ stage: resources.stage, reason: error.message });
      }
    }
    if (metricsRequested > 0) {
      const price = priceTable(priceRegion).get('cloudwatch.get-metric-data');
      notes.push(
        `This run read ${metricsRequested} metrics with GetMetricData: $${((metricsRequested / 1000) * price.usd).toFixed(4)} at $${price.usd} per 1,000.`,
      );
    }
  }
  if (plans.length === 0) {
    throw new LiveError(`nothing to estimate:\n  ${missing.map((m) => `${m.stage}: ${m.reason}`).join('\n  ')}`);
  }
  progress.update('pricing');
  const overlap = request.overlap && movingCost(request.overlap);
  const report = buildReport(plans, {
    mode: request.live ? 'live' : 'offline',
    templates: request.cdkOut
      ? `cloud assembly ${request.cdkOut}`
      : `synthesised in-process${
          Object.keys(request.context).length > 0
            ? ` with ${Object.entries(request.context)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}`
            : ''
        }`,
    priceRegion,
    freeTier: request.freeTier,
    priceOverrides: request.priceOverrides,
    capacity: request.capacity,
    load: request.load,
    required: request.required,
    missing,
    live,
    notes,
    overlap,
  });
  const failedNamedStages = request.stagesNamed ? missing.map((m) => m.stage) : [];
  return { report, failedNamedStages };

  /** The overlap of a move, its two stages found whether or not they are among those estimated. */
  function movingCost(move: OverlapRequest): OverlapCost {
    const [from, to] = [move.from, move.to].map((stage) => {
      const resources = found.find((f) => f.stage === stage) ?? discover(stage);
      if (resources === undefined) throw new LiveError(`--overlap: ${notFound(stage)}`);
      return resources;
    });
    return overlapCost(from, to, move, request.volumes, input(request.profile));
  }
}
