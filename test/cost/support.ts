// Helpers the cost tests share: hand-built resources, estimates with default inputs, synthesised stacks.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addFlagstackStacks } from '../../lib/app';
import type { StageResources } from '../../lib/cost/discovery';
import type { Resource } from '../../lib/cost/resources/index';
import { type EstimateInput, estimateStage } from '../../lib/cost/estimate';
import type { PriceOverrides } from '../../lib/cost/prices/overrides';
import { type Capacity, DEFAULT_CAPACITY } from '../../lib/capacity-figures';
import { type TrafficProfile, trafficProfile } from '../../lib/cost/profile';
import type { StackTemplate } from '../../lib/cost/templates';

const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

type Fields<K extends Resource['kind']> = Omit<Extract<Resource, { kind: K }>, 'id' | 'type' | 'stack' | 'region' | 'kind'>;

/** A resource as discovery would produce it, in stack "Test" in us-east-1 unless told otherwise. */
export function resource<K extends Resource['kind']>(
  kind: K,
  fields: Fields<K>,
  where: Partial<Pick<Resource, 'id' | 'region' | 'type' | 'stack'>> = {},
): Resource {
  return {
    id: where.id ?? kind,
    type: where.type ?? `Test::${kind}`,
    stack: where.stack ?? 'Test',
    region: where.region ?? 'us-east-1',
    kind,
    ...fields,
  } as Resource;
}

/**
 * A CloudFront distribution whose `cachedPatterns` behaviours cache (and compress, as the stacks' flag-list
 * behaviours do, unless `compress` is false) and whose default behaviour does neither.
 */
export function cdn(
  priceClass: string,
  cachedPatterns: string[],
  where: Partial<Pick<Resource, 'id' | 'region' | 'stack'>> = {},
  { compress = true }: { compress?: boolean } = {},
): Resource {
  const behaviors = [
    ...cachedPatterns.map((pathPattern) => ({ pathPattern, cached: true, compresses: compress, lambdaEdge: [], cloudFrontFunctions: [] })),
    { pathPattern: null, cached: false, compresses: false, lambdaEdge: [], cloudFrontFunctions: [] },
  ];
  return resource('cloudfront', { priceClass, behaviors }, where);
}

export function stageOf(resources: Resource[], stage = 'test'): StageResources {
  return { stage, stacks: [{ name: 'Test', region: 'us-east-1' }], resources, free: [], unpriced: [] };
}

export function input(
  options: {
    profile?: Partial<TrafficProfile>;
    capacity?: Capacity;
    freeTier?: boolean;
    priceRegion?: string;
    overrides?: PriceOverrides;
  } = {},
): EstimateInput {
  return {
    profile: trafficProfile(options.profile),
    capacity: options.capacity ?? DEFAULT_CAPACITY,
    pricing: {
      homeRegion: 'us-east-1',
      priceRegion: options.priceRegion ?? 'us-east-1',
      freeTier: options.freeTier ?? false,
      overrides: options.overrides,
    },
  };
}

/** The monthly USD of one resource kind's price key at a volume. */
export function costOf(resources: Resource[], volume: number, options: Parameters<typeof input>[0] = {}) {
  const estimate = estimateStage(stageOf(resources), volume, input(options));
  const byKey = (prefix: string) =>
    estimate.lines.filter((line) => line.priceKey.startsWith(prefix)).reduce((sum, line) => sum + line.usd, 0);
  const quantity = (prefix: string) =>
    estimate.lines.filter((line) => line.priceKey.startsWith(prefix)).reduce((sum, line) => sum + line.quantity, 0);
  return { estimate, byKey, quantity };
}

/** Synthesises the flagstack app (cdk.json's context plus `context`); optionally keeps the cloud assembly in `outdir`. */
export function synthesise(context: Record<string, unknown> = {}, outdir?: string): { stacks: StackTemplate[]; homeRegion: string } {
  const dir = outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flagstack-cost-test-'));
  const app = new App({ outdir: dir, context: { ...cdkJson.context, ...context } });
  const { config } = addFlagstackStacks(app);
  const assembly = app.synth();
  const stacks = assembly.stacks.map((stack) => ({
    stackName: stack.stackName,
    region: stack.environment.region,
    template: stack.template,
  }));
  if (outdir === undefined) fs.rmSync(dir, { recursive: true, force: true });
  return { stacks, homeRegion: config.region };
}
