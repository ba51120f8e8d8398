/**
 * Prometheus metrics at /metrics: requests and latency by route and status, environment cache hits
 * and reloads, database pool usage, pending trait writes. prom-client does the bookkeeping.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSources {
  poolStats(): { total: number; idle: number; waiting: number };
  pendingTraitWrites(): number;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'flagstack_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'flagstack_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status, until the response is handed to the socket',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly cacheLookups = new Counter({
    name: 'flagstack_environment_cache_lookups_total',
    help: 'Environment lookups by SDK requests: hit (in memory) or miss (loaded from the database)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: 'flagstack_environment_reloads_total',
    help: 'Environments (re)loaded and compiled from the database, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly edgePublishes = new Counter({
    name: 'flagstack_edge_publishes_total',
    help: 'Environments published to the edge flag table, by outcome (written, unchanged, deleted, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'flagstack_' });
    new Gauge({
      name: 'flagstack_db_pool_connections',
      help: 'Database connections of this instance by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const stats = sources.poolStats();
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    });
    new Gauge({
      name: 'flagstack_trait_writes_pending',
      help: 'Trait writes waiting for their batch',
      registers: [this.registry],
      collect() {
        this.set(sources.pendingTraitWrites());
      },
    });
  }

  // Label-bound children, one per route/method/status, so a request does no label hashing.
  private readonly bound = new Map<string, { count: { inc(): void }; time: { observe(seconds: number): void } }>();

  /**
   * Counts and times one response under its route pattern (never the raw URL, which would explode
   * labels). Called from the app's one onSend hook rather than a hook of its own: every hook costs
   * each request several microseconds, measured on the flag list.
   */
  observeResponse(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${route} ${request.method} ${reply.statusCode}`;
    let metrics = this.bound.get(key);
    if (!metrics) {
      const labels = { route, method: request.method, status: String(reply.statusCode) };
      metrics = { count: this.requests.labels(labels), time: this.latency.labels(labels) };
      this.bound.set(key, metrics);
    }
    metrics.count.inc();
    metrics.time.observe(reply.elapsedTime / 1000);
  }

  /** Serves the registry at /metrics. */
  install(app: FastifyInstance): void {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(this.registry.contentType);
      return this.registry.metrics();
    });
  }
}
