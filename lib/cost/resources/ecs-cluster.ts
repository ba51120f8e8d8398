/** An ECS cluster: Container Insights metrics, and its performance events as logs. */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { ASSUMPTIONS, HOURS_PER_MONTH } from '../profile';
import type { PricedKind, UsageContext } from './kind';
import type { ResourceBase } from './template';
import { GB } from './units';

export interface EcsCluster extends ResourceBase {
  readonly kind: 'ecs-cluster';
  readonly containerInsights: 'enabled' | 'enhanced' | 'disabled';
  readonly services: number;
}

/** Clusters with Container Insights (standard) on. */
const insightClusters = ({ of }: UsageContext) => of('ecs-cluster').filter((c) => c.containerInsights === 'enabled');

/** Container Insights performance events of every running task, bytes a month (none without a cluster that has it on). */
export function containerInsightsBytes(context: UsageContext): number {
  const tasks = context.of('fargate-service').reduce((sum, service) => sum + (context.counts.get(service) ?? 0), 0);
  return insightClusters(context).length > 0 ? tasks * HOURS_PER_MONTH * 60 * ASSUMPTIONS.containerInsightsBytesPerTaskMinute : 0;
}

export const ecsCluster: PricedKind<EcsCluster> = {
  kind: 'ecs-cluster',
  cfnTypes: ['AWS::ECS::Cluster'],
  read(view, id, r) {
    const setting = (r.Properties?.ClusterSettings ?? []).find((s: any) => s.Name === 'containerInsights')?.Value ?? 'disabled';
    const services = view.referencing('AWS::ECS::Service', id, 'Cluster').length;
    return [{ ...view.base(id, r), kind: 'ecs-cluster', containerInsights: setting, services }];
  },
  usage(resource, { charge, cannotQuantify }) {
    if (resource.containerInsights === 'enabled') {
      const metrics = ASSUMPTIONS.containerInsightsMetricsPerCluster + ASSUMPTIONS.containerInsightsMetricsPerService * resource.services;
      charge(
        resource,
        'Amazon CloudWatch',
        resource.region,
        'cloudwatch.metric',
        'metric-month',
        metrics,
        `Container Insights, ${metrics} metrics`,
      );
    } else if (resource.containerInsights === 'enhanced') {
      cannotQuantify(
        resource,
        'Container Insights with enhanced observability is billed per observation, which the model does not estimate',
      );
    }
  },
  settle(resource, context) {
    if (resource.containerInsights !== 'enabled') return;
    const gb = containerInsightsBytes(context) / GB / insightClusters(context).length;
    context.charge(resource, 'Amazon CloudWatch', resource.region, 'logs.ingestion', 'GB', gb, 'Container Insights performance events');
  },
};
