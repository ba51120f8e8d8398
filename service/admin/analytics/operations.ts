/** Flag evaluation counts that SDKs report (storage/analytics.ts), per environment and hour. */
import type { AnalyticsStore } from '../../storage/analytics';
import type { Queryable } from '../../storage/database';
import { environmentByKey } from '../lookups';

/** The counts of the last `hours` hours. */
export async function listAnalytics(tx: Queryable, analytics: AnalyticsStore, clientKey: string, hours: number) {
  const environment = await environmentByKey(tx, clientKey);
  return analytics.list(environment.id, new Date(Date.now() - hours * 3600_000));
}
