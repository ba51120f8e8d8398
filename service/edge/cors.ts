/**
 * The edge's CORS answers: the `cors` middleware (Express's, written against Node's request and
 * response) given the policy the service gives @fastify/cors, over a stand-in response that collects
 * the headers it sets. Synchronous, since the policy's origins are fixed.
 */
import cors from 'cors';
import type { CorsPolicy } from '../cors';

/** The CORS headers for a request (lower-case names), given its method and headers. */
export type CorsHeaders = (method: string, headers: Readonly<Record<string, string | undefined>>) => Record<string, string>;

export function corsHeaders(policy: CorsPolicy): CorsHeaders {
  const middleware = cors({
    origin: policy.origin === '*' ? '*' : [...policy.origin],
    methods: [...policy.methods],
    allowedHeaders: [...policy.allowedHeaders],
    exposedHeaders: [...policy.exposedHeaders],
    maxAge: policy.maxAge,
    optionsSuccessStatus: 204,
  });
  return (method, headers) => {
    const set: Record<string, string> = {};
    const response = {
      statusCode: 200,
      getHeader: (name: string) => set[name.toLowerCase()],
      setHeader: (name: string, value: unknown) => void (set[name.toLowerCase()] = String(value)),
      end: () => undefined,
    };
    middleware({ method, headers }, response, () => undefined);
    delete set['content-length']; // the function URL sets its own
    return set;
  };
}
