/**
 * The change notices instances send one another through the database: every admin write NOTIFYs the
 * environments it changed, in its own transaction (delivered only if it commits), and every instance
 * LISTENs and refreshes them. The writer sends, the environment cache receives; both speak this.
 */

/** The NOTIFY channel. */
export const ENVIRONMENT_CHANGES_CHANNEL = 'flagstack_environment_changes';

/** A notice: the announcing instance (which has refreshed already), then the changed environment ids. */
export const changeNotice = (instanceId: string, environmentIds: readonly number[]): string => `${instanceId}:${environmentIds.join(',')}`;

/** A notice read back. */
export function readChangeNotice(payload: string): { from: string; environmentIds: number[] } {
  const [from, ids = ''] = payload.split(':');
  return { from, environmentIds: ids.split(',').filter(Boolean).map(Number) };
}
