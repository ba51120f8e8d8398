/** Flag evaluation counts from the SDKs' analytics processors, summed per feature per hour. */
import type { Database } from './database';

export class AnalyticsStore {
  constructor(private readonly db: Database) {}

  async record(environmentId: number, counts: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(counts).filter(([, count]) => count > 0);
    if (entries.length === 0) return;
    await this.db.query(
      `INSERT INTO flag_analytics (environment_id, feature_name, bucket, count)
       SELECT $1, name, date_trunc('hour', now()), n FROM unnest($2::text[], $3::bigint[]) AS x(name, n)
       ON CONFLICT (environment_id, feature_name, bucket) DO UPDATE SET count = flag_analytics.count + EXCLUDED.count`,
      [environmentId, entries.map(([name]) => name), entries.map(([, count]) => count)],
    );
  }

  /** Evaluation counts per feature and hour, newest first. */
  async list(environmentId: number, since: Date): Promise<Array<{ feature_name: string; bucket: Date; count: number }>> {
    return this.db.query(
      `SELECT feature_name, bucket, count::float8 AS count FROM flag_analytics
        WHERE environment_id = $1 AND bucket >= $2 ORDER BY bucket DESC, feature_name`,
      [environmentId, since],
    );
  }
}
