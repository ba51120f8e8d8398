/** Values every stage shares. */

/** The port the flag service listens on behind a proxy or load balancer (its own default, PORT=8000). */
export const SERVICE_PORT = 8000;

/**
 * The single box's request count in CloudWatch, from its request log (the other stages have their load
 * balancer's or CloudFront's); the stack makes it and the cost estimator's live mode reads it.
 */
export const REQUEST_COUNT_METRIC = { namespace: 'Flagstack', metricName: 'RequestCount' } as const;
