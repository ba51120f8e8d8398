/**
 * Traffic → quantities: for one stage at one monthly volume, what each resource consumes in the
 * units AWS bills (instance-hours, LCU-hours, GB, GB-seconds, request units, …), each resource kind
 * billing its own (lib/cost/resources/). Capacity-driven resources (Auto Scaling groups, Fargate
 * services, Aurora Serverless v2) grow with the load the capacity figure implies, never below what the
 * template runs and never silently past its maximum.
 */
import type { Capacity } from '../capacity-figures';
import type { StageResources, UnpricedResource } from './discovery';
import { formatVolume } from './format';
import type { TrafficProfile } from './profile';
import { kindOf, PRICED_KIND_LIST, type Resource, type ResourceOf } from './resources/index';
import type { UsageContext } from './resources/kind';
import { stageTraffic } from './traffic';

/** The AWS services rows are grouped by. */
export const SERVICES = [
  'Amazon EC2',
  'Amazon EBS',
  'Amazon VPC',
  'Elastic Load Balancing',
  'Amazon CloudFront',
  'AWS Fargate',
  'AWS Lambda',
  'Amazon RDS',
  'Amazon DynamoDB',
  'Amazon Route 53',
  'Data transfer',
  'Amazon CloudWatch',
  'AWS Secrets Manager',
  'Amazon S3',
  'AWS KMS',
] as const;
export type Service = (typeof SERVICES)[number];

/** A quantity of one priced thing a resource uses in a month. */
export interface Charge {
  readonly service: Service;
  /** `stack/logicalId` of the resource it belongs to. */
  readonly resource: string;
  /** Region whose price table applies. */
  readonly region: string;
  readonly priceKey: string;
  /** The unit the quantity is in; must equal the price's unit. */
  readonly unit: string;
  readonly quantity: number;
  /** What the quantity is, for the breakdown. */
  readonly what: string;
  /** The CloudFront distribution (`stack/id`) whose flat-rate plan would include this charge. */
  readonly bundle?: string;
}

/** What viewers send one CloudFront distribution in a month: what a flat-rate plan would have to cover. */
export interface DistributionTraffic {
  /** `stack/id` of the distribution. */
  readonly resource: string;
  readonly region: string;
  readonly requests: number;
  /** Data out to viewers, GB. */
  readonly dataGb: number;
  /** Why flat-rate plans cannot serve it; undefined when they can. */
  readonly flatRateExcluded?: string;
}

/** One stage's quantities at one volume. */
export interface StageUsage {
  readonly charges: Charge[];
  /** Resources the model cannot quantify. */
  readonly unpriced: UnpricedResource[];
  /** What the reader should know: capacity past a template maximum, burst credits, overload. */
  readonly notes: string[];
  /** Why the stage as built cannot carry this volume (a fixed-size instance or database class too small); empty if it can. */
  readonly overCapacity: string[];
  /** The stage's own CloudFront distributions and their traffic (not its control plane's). */
  readonly distributions: DistributionTraffic[];
}

export interface UsageInput {
  readonly requestsPerMonth: number;
  readonly profile: TrafficProfile;
  readonly capacity: Capacity;
}

// A control plane's cost with no SDK traffic depends on neither the stage it serves nor the volume:
// worked out once per plane, profile and capacity, not once per volume priced.
const idlePlanes = new WeakMap<StageResources, { profile: TrafficProfile; capacity: Capacity; usage: StageUsage }>();
function idleUsage(plane: StageResources, input: UsageInput): StageUsage {
  const held = idlePlanes.get(plane);
  if (held && held.profile === input.profile && held.capacity === input.capacity) return held.usage;
  // No SDK traffic at all: server SDKs poll the stage they serve, not its control plane.
  const usage = stageUsage(plane, { ...input, requestsPerMonth: 0, profile: { ...input.profile, serverSdks: 0 } });
  idlePlanes.set(plane, { profile: input.profile, capacity: input.capacity, usage });
  return usage;
}

/** Quantities of `stage` at `input.requestsPerMonth` requests a month. */
export function stageUsage(stage: StageResources, input: UsageInput): StageUsage {
  const { profile, capacity, requestsPerMonth } = input;
  const charges: Charge[] = [];
  const unpriced: UnpricedResource[] = [];
  const notes: string[] = [];
  const overCapacity: string[] = [];
  const distributions: DistributionTraffic[] = [];
  const cannotQuantify = (resource: Resource, reason: string) =>
    unpriced.push({ stage: stage.stage, stack: resource.stack, id: resource.id, type: resource.type, reason });
  const context: UsageContext = {
    stage,
    requestsPerMonth,
    volume: formatVolume(requestsPerMonth),
    profile,
    capacity,
    traffic: stageTraffic(stage.resources, input, cannotQuantify),
    counts: new Map(),
    serverlessAcus: new Map(),
    of: <K extends Resource['kind']>(kind: K) => stage.resources.filter((r): r is ResourceOf<K> => r.kind === kind),
    charge: (resource, service, region, priceKey, unit, quantity, what, bundle) => {
      if (quantity > 0)
        charges.push({
          service,
          resource: `${resource.stack}/${resource.id}`,
          region,
          priceKey,
          unit,
          quantity,
          what,
          ...(bundle && { bundle }),
        });
    },
    cannotQuantify,
    note: (text) => notes.push(text),
    overCapacity: (text) => overCapacity.push(text),
    distribution: (traffic) => distributions.push(traffic),
  };

  // Size the capacity-driven groups first: several charges (NAT data, Container Insights) depend on the counts.
  for (const kind of PRICED_KIND_LIST) for (const resource of context.of(kind.kind)) kind.size?.(resource, context);
  for (const resource of stage.resources) kindOf(resource).usage(resource, context);
  for (const kind of PRICED_KIND_LIST) for (const resource of context.of(kind.kind)) kind.settle?.(resource, context);

  const { pollRequests } = context.traffic;
  if (pollRequests > 0)
    notes.push(
      `${stage.stage}: ${profile.serverSdks} server SDKs in local-evaluation mode poll the environment document every ${profile.pollSeconds} s: ` +
        `${formatVolume(pollRequests)} requests a month besides the ${context.volume}`,
    );

  // A stage that cannot run without another's control plane carries that stage's cost with no SDK traffic.
  if (stage.controlPlane !== undefined) {
    const plane = stage.controlPlane.resources;
    const planeUsage = idleUsage(plane, input);
    charges.push(...planeUsage.charges.map((c) => ({ ...c, what: `control plane (${plane.stage}): ${c.what}` })));
    unpriced.push(...planeUsage.unpriced);
    notes.push(`${stage.stage}: includes its control plane, the ${plane.stage} stage with no SDK traffic (${stage.controlPlane.reason})`);
  }

  return { charges, unpriced, notes, overCapacity, distributions };
}
