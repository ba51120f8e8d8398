/**
 * CloudWatch metrics over a window with GetMetricData, each metric's points added up: up to 500
 * queries a call, every page followed through NextToken, the period chosen by CloudWatch's retention
 * rules for the window's start, and throttling retried with backoff.
 */
import { type CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { LiveError } from './errors';
import { type RetryOptions, withRetry } from './retry';

export interface MetricQuery {
  /** Lower-case id, unique in one fetch. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** The statistic of each period; default Sum. An Average's mean over the window is sum / datapoints (the periods are equal). */
  readonly statistic?: 'Sum' | 'Average';
}

/** The points of one query added up, and how many there were (none: the metric had no data in the window). */
export interface MetricSum {
  readonly sum: number;
  readonly datapoints: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
/** Queries per GetMetricData call (the API's limit). */
const QUERIES_PER_CALL = 500;
/** Data points per metric we ask for at most; the period grows (in allowed steps) to stay under it. */
const MAX_POINTS_PER_METRIC = 5000;

/**
 * The period for data starting at `start`: CloudWatch keeps 1-minute data for 15 days, 5-minute data
 * for 63 days and hourly data for 455 days, so a start older than 15 (63) days needs a multiple of
 * 300 (3,600) seconds; the period then grows by that step until the window has at most 5,000 points.
 */
export function periodFor(start: Date, end: Date, now: Date): number {
  const age = (now.getTime() - start.getTime()) / 1000;
  const step = age > 63 * DAY ? 3600 : age > 15 * DAY ? 300 : 60;
  const window = (end.getTime() - start.getTime()) / 1000;
  return step * Math.max(1, Math.ceil(window / step / MAX_POINTS_PER_METRIC));
}

/** Describes a query for messages: `AWS/CloudFront Requests (DistributionId=E1, Region=Global)`. */
export function describeMetric(query: MetricQuery): string {
  const dimensions = Object.entries(query.dimensions).map(([name, value]) => `${name}=${value}`);
  return `${query.namespace} ${query.metricName}${dimensions.length > 0 ? ` (${dimensions.join(', ')})` : ''}`;
}

export interface FetchResult {
  readonly sums: Map<string, MetricSum>;
  /** Metrics requested, summed over calls (GetMetricData bills per 1,000). */
  readonly metricsRequested: number;
}

/** Each query's points between `start` and `end`, added up. */
export async function fetchMetricSums(
  client: CloudWatchClient,
  queries: MetricQuery[],
  window: { start: Date; end: Date; now: Date },
  retry: RetryOptions = {},
): Promise<FetchResult> {
  const period = periodFor(window.start, window.end, window.now);
  // Align to the period so every returned point covers a whole period inside the window.
  const start = new Date(Math.ceil(window.start.getTime() / (period * 1000)) * period * 1000);
  const end = new Date(Math.floor(window.end.getTime() / (period * 1000)) * period * 1000);
  const sums = new Map<string, { sum: number; datapoints: number }>(queries.map((q) => [q.id, { sum: 0, datapoints: 0 }]));
  let metricsRequested = 0;
  for (let i = 0; i < queries.length; i += QUERIES_PER_CALL) {
    const batch = queries.slice(i, i + QUERIES_PER_CALL);
    const metricDataQueries: MetricDataQuery[] = batch.map((q) => ({
      Id: q.id,
      MetricStat: {
        Metric: {
          Namespace: q.namespace,
          MetricName: q.metricName,
          Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: period,
        Stat: q.statistic ?? 'Sum',
      },
      ReturnData: true,
    }));
    let nextToken: string | undefined;
    do {
      const page = await withRetry(
        () =>
          client.send(
            new GetMetricDataCommand({
              MetricDataQueries: metricDataQueries,
              StartTime: start,
              EndTime: end,
              NextToken: nextToken,
              ScanBy: 'TimestampAscending',
            }),
          ),
        retry,
      );
      metricsRequested += batch.length;
      for (const message of page.Messages ?? []) {
        if (message.Code !== undefined && message.Code !== 'MaxDatapointsExceeded')
          throw new LiveError(`GetMetricData: ${message.Code}: ${message.Value}`);
      }
      for (const result of page.MetricDataResults ?? []) {
        const entry = sums.get(result.Id ?? '');
        if (entry === undefined) continue;
        if (result.StatusCode === 'Forbidden' || result.StatusCode === 'InternalError') {
          const query = batch.find((q) => q.id === result.Id)!;
          throw new LiveError(`GetMetricData could not read ${describeMetric(query)}: ${result.StatusCode}`);
        }
        for (const value of result.Values ?? []) {
          entry.sum += value;
          entry.datapoints += 1;
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return { sums, metricsRequested };
}
