/**
 * `/metrics` in cluster mode (WEB_CONCURRENCY > 1). A scrape lands on whichever worker accepts the
 * connection, so that worker asks the primary, which gathers every worker's registry through
 * prom-client's AggregatorRegistry and answers with the cluster's totals. Without this a scrape would
 * see one worker's counters, and Prometheus would read each jump between workers as a counter reset.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'flagstack:cluster-metrics-request';
const RESPONSE = 'flagstack:cluster-metrics-response';

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}
interface MetricsResponse {
  type: typeof RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

/** In the primary: answers each worker's request with every worker's metrics, summed. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: Partial<MetricsRequest>) => {
    if (message?.type !== REQUEST || message.id === undefined) return;
    const { id } = message;
    const reply = (answer: Omit<MetricsResponse, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: RESPONSE, id, ...answer } satisfies MetricsResponse);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

/**
 * In a worker: offers `registry` to the primary's gatherings, and returns the function that fetches
 * the whole cluster's metrics text from the primary.
 */
export function clusterMetricsSource(registry: Registry, timeoutMs = 10_000): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one is how prom-client starts a worker's side: it answers the primary's gatherings.
  new AggregatorRegistry();
  const pending = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let nextId = 0;
  process.on('message', (message: Partial<MetricsResponse>) => {
    if (message?.type !== RESPONSE || message.id === undefined) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiting?.reject(new Error(`the cluster's metrics could not be gathered: ${message.error}`));
    else waiting?.resolve(message.text ?? '');
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary did not answer with the cluster's metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      process.send!({ type: REQUEST, id } satisfies MetricsRequest);
    });
}
