/**
 * The CPU one viewer request takes and where it lands, with the default figures it starts from: the
 * arithmetic the stacks (their default scaling target) and the cost model (capacity limits, scaling
 * warnings, the traffic profile's defaults) share.
 */

/** Requests per second one vCPU serves, by kind of request, and where the figures come from. */
export interface Capacity {
  readonly flagRpsPerVcpu: number;
  readonly identityRpsPerVcpu: number;
  /** Share of an identity request's CPU that is the database's (the rest is the service's). */
  readonly databaseShareOfIdentityCpu: number;
  readonly source: string;
}

/**
 * From an earlier `npm run bench` run (requests a second only) on the 2-core bench machine, where the service, PostgreSQL
 * and the load generator share both cores: 25,279 flag-list and 3,399 identity requests a second,
 * halved per vCPU. Identity requests include the database's work (half of it, see ASSUMPTIONS).
 */
export const DEFAULT_CAPACITY: Capacity = {
  flagRpsPerVcpu: 25_279 / 2,
  identityRpsPerVcpu: 3_399 / 2,
  databaseShareOfIdentityCpu: 0.5,
  source: 'npm run bench (an earlier run, 2-core machine): 25,279 flag and 3,399 identity req/s, halved per vCPU',
};

/** The traffic profile's defaults for the figures the CPU per request depends on (lib/cost/profile.ts). */
export const DEFAULT_REQUEST_MIX = {
  /** Share of requests that are identity requests. */
  identityShare: 0.3,
  /** Share of cacheable flag-list requests CloudFront answers from its cache. */
  cacheHitRatio: 0.5,
  /** Average CPU utilisation capacity is sized for. */
  targetCpuUtilisation: 0.5,
} as const;

/** The mix of requests: how many are identity requests, and how many flag lists a cache answers. */
export interface RequestMix {
  readonly identityShare: number;
  readonly cacheHitRatio: number;
}

/** CPU per viewer request, vCPU-seconds, and the share of viewer requests that reach the origin. */
export interface RequestCpu {
  /** The service's CPU (what its Node workers run). */
  readonly serviceCpu: number;
  /** PostgreSQL's CPU: on the service's host when the stage has no database of its own. */
  readonly databaseCpu: number;
  /** Share of viewer requests that reach the origin (the rest CloudFront answers from its cache). */
  readonly originShare: number;
}

/** The CPU a viewer request takes, with flag lists answered from a cache when `flagsCached`. */
export function requestCpu(flagsCached: boolean, mix: RequestMix, capacity: Capacity): RequestCpu {
  const identity = mix.identityShare;
  const originFlags = (1 - identity) * (flagsCached ? 1 - mix.cacheHitRatio : 1);
  const databaseShare = capacity.databaseShareOfIdentityCpu;
  return {
    serviceCpu: originFlags / capacity.flagRpsPerVcpu + (identity * (1 - databaseShare)) / capacity.identityRpsPerVcpu,
    databaseCpu: (identity * databaseShare) / capacity.identityRpsPerVcpu,
    originShare: originFlags + identity,
  };
}

/** Origin requests a minute a host with `usableVcpus` handles at `cpuTarget` utilisation. */
export function requestsPerTarget(cpu: RequestCpu, cpuTarget: number, usableVcpus: number): number {
  return ((cpuTarget * usableVcpus) / (cpu.serviceCpu / cpu.originShare)) * 60;
}

/**
 * What a request-count scaling policy should aim for when nobody says: the origin requests a minute a
 * host with `usableVcpus` (one Node worker each) serves at the default target CPU, behind
 * CloudFront's cache, by the default capacity figure. The stacks' `requestsPerTarget` defaults to it,
 * so that their policies and the cost model agree on what one target carries.
 */
export function defaultRequestsPerTarget(usableVcpus: number): number {
  const cpu = requestCpu(true, DEFAULT_REQUEST_MIX, DEFAULT_CAPACITY);
  return Math.round(requestsPerTarget(cpu, DEFAULT_REQUEST_MIX.targetCpuUtilisation, usableVcpus));
}
