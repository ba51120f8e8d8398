/** A CloudWatch Logs log group: ingestion and storage of what writes to it (a Lambda function's logs are priced with the function). */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { ASSUMPTIONS } from '../profile';
import type { PricedKind } from './kind';
import { num, referencedIds, type ResourceBase } from './template';
import { GB } from './units';

/** What writes to a log group: the service's request log, a Lambda function (priced with it), VPC flow logs. */
export type LogGroupContents = 'service' | 'function' | 'flow-log' | 'unknown';

export interface LogGroup extends ResourceBase {
  readonly kind: 'log-group';
  readonly retentionDays?: number;
  readonly carries: LogGroupContents;
}

/** Months of log data kept under a retention. */
export function retainedMonths(retentionDays: number | undefined): number {
  return retentionDays === undefined ? ASSUMPTIONS.neverExpiringLogMonths : retentionDays / (365.25 / 12);
}

export const logGroup: PricedKind<LogGroup> = {
  kind: 'log-group',
  cfnTypes: ['AWS::Logs::LogGroup'],
  read(view, id, r) {
    const writtenByService =
      view.userData().some((userData) => referencedIds(userData).has(id)) ||
      view
        .ofType('AWS::ECS::TaskDefinition')
        .some(([, t]) => referencedIds((t.Properties?.ContainerDefinitions ?? []).map((c: any) => c.LogConfiguration)).has(id));
    const carries: LogGroupContents = writtenByService
      ? 'service'
      : view.referencing('AWS::Lambda::Function', id, 'LoggingConfig').length > 0
        ? 'function'
        : view.referencing('AWS::EC2::FlowLog', id).length > 0
          ? 'flow-log'
          : 'unknown';
    return [{ ...view.base(id, r), kind: 'log-group', retentionDays: num(r.Properties?.RetentionInDays), carries }];
  },
  usage(resource, { charge, cannotQuantify, of, traffic, profile }) {
    const months = retainedMonths(resource.retentionDays);
    /** A month's `gb` ingested, and kept (compressed) for the group's retention. */
    const logged = (gb: number, what: string, kept: string) => {
      charge(resource, 'Amazon CloudWatch', resource.region, 'logs.ingestion', 'GB', gb, what);
      const days = `${resource.retentionDays ?? 'forever'} days`;
      charge(
        resource,
        'Amazon CloudWatch',
        resource.region,
        'logs.storage',
        'GB-month',
        gb * ASSUMPTIONS.logStorageCompression * months,
        `${kept} kept ${days}`,
      );
    };
    if (resource.carries === 'service') {
      const serviceGroups = of('log-group').filter((group) => group.carries === 'service').length;
      logged((traffic.originRequests * profile.logBytesPerRequest) / GB / serviceGroups, 'service request log', 'request log');
    } else if (resource.carries === 'flow-log') {
      logged(ASSUMPTIONS.flowLogGbPerMonth, 'rejected-traffic flow logs', 'flow logs');
    } else if (resource.carries === 'unknown') {
      cannotQuantify(resource, 'a log group outside the request path and flow logs: its volume is unknown');
    }
  },
};
