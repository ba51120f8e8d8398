/** The request metrics count in plain numbers, yet scrape exactly as prom-client's own Counter and Histogram would. */
import { Counter, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS, RequestMetrics } from '../../service/http/metrics';

const observations: Array<[route: string, method: string, status: number, seconds: number]> = [
  ['/api/v1/flags/', 'GET', 200, 0.0003],
  ['/api/v1/flags/', 'GET', 200, 0.0005], // on a bound: counted in that bucket
  ['/api/v1/flags/', 'GET', 200, 0.004],
  ['/api/v1/flags/', 'GET', 401, 0.0002],
  ['/api/v1/identities/', 'POST', 200, 0.012],
  ['/api/v1/identities/', 'POST', 200, 7], // beyond every bound
  ['unmatched', 'GET', 404, 0.0001],
];

test('the same exposition text as prom-client for the same responses', async () => {
  const ours = new Registry();
  const metrics = new RequestMetrics(ours);
  const theirs = new Registry();
  const labelNames = ['route', 'method', 'status'] as const;
  const counter = new Counter({
    name: 'flagstack_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames,
    registers: [theirs],
  });
  const histogram = new Histogram({
    name: 'flagstack_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status, until the response is handed to the socket',
    labelNames,
    buckets: [...LATENCY_BUCKETS],
    registers: [theirs],
  });
  for (const [route, method, status, seconds] of observations) {
    metrics.observe(route, method, status, seconds);
    counter.inc({ route, method, status: String(status) });
    histogram.observe({ route, method, status: String(status) }, seconds);
  }
  const text = await ours.metrics();
  expect(text).toBe(await theirs.metrics());
  expect(text).toContain('flagstack_http_request_duration_seconds_bucket{le="0.0005",route="/api/v1/flags/",method="GET",status="200"} 2');
  expect(text).toContain('flagstack_http_request_duration_seconds_count{route="/api/v1/identities/",method="POST",status="200"} 2');

  ours.resetMetrics();
  theirs.resetMetrics();
  expect(await ours.metrics()).toBe(await theirs.metrics());
});
