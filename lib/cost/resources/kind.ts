/**
 * What a priced resource kind provides: the CloudFormation types it reads, how it reads one into the
 * facts its price depends on, and how it turns a month's traffic into the quantities AWS bills.
 */
import type { Capacity } from '../../capacity-figures';
import type { StageResources } from '../discovery';
import type { TrafficProfile } from '../profile';
import type { StageTraffic } from '../traffic';
import type { DistributionTraffic, Service } from '../usage';
import type { Resource, ResourceOf } from './index';
import type { CfnResource, TemplateView } from './template';
import type { STAGES, StageId } from '../../stages';

/** One stage at one volume, as a resource kind's usage sees it, and where its quantities go. */
export interface UsageContext {
  readonly stage: StageResources;
  readonly requestsPerMonth: number;
  /** The volume as notes print it (20M). */
  readonly volume: string;
  readonly profile: TrafficProfile;
  readonly capacity: Capacity;
  readonly traffic: StageTraffic;
  /** Instances or tasks each capacity-driven group runs, once sized. */
  readonly counts: Map<Resource, number>;
  /** The ACUs each Aurora cluster runs, by logical id, once priced. */
  readonly serverlessAcus: Map<string, number>;
  /** The stage's resources of `kind`, in template order. */
  readonly of: <K extends Resource['kind']>(kind: K) => ResourceOf<K>[];
  /** Bills `quantity` (when above zero) of `priceKey` in `region` to `resource`. */
  readonly charge: (
    resource: Resource,
    service: Service,
    region: string,
    priceKey: string,
    unit: string,
    quantity: number,
    what: string,
    bundle?: string,
  ) => void;
  /** Lists the resource as unpriced, with the reason. */
  readonly cannotQuantify: (resource: Resource, reason: string) => void;
  readonly note: (text: string) => void;
  /** Says why the stage as built cannot carry the volume. */
  readonly overCapacity: (text: string) => void;
  /** Records a CloudFront distribution's traffic, for the flat-rate plans. */
  readonly distribution: (traffic: DistributionTraffic) => void;
}

/**
 * A priced resource kind. Its hooks run in three passes over the stage's resources: `size` (counts
 * other charges depend on), `usage` (in template order), `settle` (charges that depend on what the
 * other resources were sized or priced at).
 */
export interface PricedKind<R extends Resource> {
  readonly kind: R['kind'];
  /** The CloudFormation types it reads. */
  readonly cfnTypes: readonly string[];
  /** The facts of a template resource; none when another resource's price covers it. Throws Unreadable when it cannot. */
  read(view: TemplateView, id: string, resource: CfnResource): R[];
  size?(resource: R, context: UsageContext): void;
  usage(resource: R, context: UsageContext): void;
  settle?(resource: R, context: UsageContext): void;
}

/** A setting some stage of the registry reads (lib/stages/index.ts): what a note names when it points at one. */
export type StageSetting = { [Stage in (typeof STAGES)[number] as Stage['id']]: keyof Stage['settings'] & string }[StageId];
