/**
 * The hostile scenario: honest identity requests (POST /api/v1/identities/ with traits, as the identity
 * scenario sends them) at full load, while an attacker with the same public client key sends 1% of the
 * requests, carrying trait values made for catastrophic backtracking against five REGEX segments on
 * one trait: 10,000-character values through OFREP (whose context values have no length cap) and
 * 2,000-character ones (the stored-trait cap) through the SDK's identity route. Both routes run the same
 * engine. Turns with and without the attacker alternate, as the bench's other comparisons do; each
 * turn's longest event-loop delay comes from the service's own /metrics.
 *
 * A backtracking engine can stall on one such value for longer than the universe has left, so a turn
 * does not assume the service will answer again: after it, the service gets a few seconds to finish
 * the attacker's requests and answer /metrics, and if it does not, the turn records how long the
 * service had gone without answering anything (a lower bound, marked `atLeast`) and the service is
 * killed and started again (same database) for the next turn.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { spreadOf, type Spread as MedianAndRange } from './turns';

export const HOSTILE_SCENARIO = 'hostile REGEX: identity requests with a 1% attacker';

/** The trait the hostile segments test, and the attacker sets. */
export const HOSTILE_TRAIT = 'nickname';
/**
 * Classic catastrophic patterns: the first four take time exponential in a run of a's that ends in
 * something else; `(.*a){12}` takes time polynomial of high degree in a text with fewer than 12 a's
 * spread through it. All are valid in both JavaScript and RE2 syntax, and short (the admin API refuses
 * a condition value over 1,000 characters).
 */
export const HOSTILE_PATTERNS = ['^(a+)+$', '(a|aa)+$', '(a|a?)+$', '^(\\w+\\s?)*$', '(.*a){12}'] as const;
/** Feature `regex_guard_<k>` is overridden (value 'matched') for segment k, whose one condition is pattern k-1. */
export const guardFeature = (k: number) => `regex_guard_${k}`;

/** The attacker's share of all requests. */
export const ATTACKER_SHARE = 0.01;
/**
 * Through OFREP: 10,000 characters where its context values are not length-capped; where the service
 * refuses them (400), the attacker sends the longest it accepts of these, as it would.
 */
export const OFREP_VALUE_LENGTHS = [10_000, 2_000] as const;
/** Through the SDK's identity route: the service's default cap on a stored trait value (FLAGSTACK_MAX_TRAIT_VALUE_LENGTH). */
export const SDK_VALUE_LENGTHS = [2_000] as const;

/** The lengths of the attacker's values on each route. */
export interface ValueLengths {
  ofrep: number;
  sdk: number;
}
/**
 * Turns each way (without the attacker, then with), alternating: an odd number, so the median is a
 * measured turn; five, as one turn in three or four can run well off the others on a shared 2-core
 * machine (honest rate 4,900 against 7,400–7,900 req/s in one run).
 */
export const HOSTILE_TURNS = 5;
/** After a turn, how long the service gets to answer the attacker's outstanding requests, and then /metrics. */
export const SETTLE_MS = 3_000;
/**
 * Between the scrape that resets the service's event-loop histogram and the turn. The reset also
 * forgets when the monitor's 10 ms timer last ticked, so its next tick records nothing: a stall that
 * began before that tick would not be counted (test/bench/hostile.test.ts shows it).
 */
export const REARM_MS = 50;

/**
 * Attack number `n`'s value, `length` characters: alternately a run of a's ending in '!' (the first four
 * patterns) and eleven a's spread through x's, ending in '!' (`(.*a){12}`).
 */
export function hostileValue(length: number, n: number): string {
  if (n % 2 === 0) return 'a'.repeat(length - 1) + '!';
  const gap = Math.floor((length - 1) / 11) - 1;
  return (
    Array.from({ length: 11 }, () => 'x'.repeat(gap) + 'a')
      .join('')
      .padEnd(length - 1, 'x') + '!'
  );
}

/**
 * A value of the same length that every pattern settles quickly, backtracking or not (b's, then twelve
 * a's): the warm-up sends it so the attacker's route and the matcher are compiled before a turn. It
 * matches `^(\w+\s?)*$` (all word characters) and not `^(a+)+$`, anchored or not.
 */
export const benignValue = (length: number): string => 'b'.repeat(length - 12) + 'a'.repeat(12);

export type Route = 'ofrep' | 'sdk';

/** The attacker's request number `n`: OFREP and the SDK route in turn, each value of its route's length. */
export function attackRequest(
  clientKey: string,
  n: number,
  value: (length: number, n: number) => string,
  lengths: ValueLengths,
): { route: Route; path: string; headers: Record<string, string>; body: string } {
  const shape = Math.floor(n / 2); // so both routes get both shapes
  if (n % 2 === 0) {
    return {
      route: 'ofrep',
      path: '/ofrep/v1/evaluate/flags',
      headers: { 'x-api-key': clientKey },
      body: JSON.stringify({ context: { targetingKey: `attacker-${n}`, [HOSTILE_TRAIT]: value(lengths.ofrep, shape) } }),
    };
  }
  return {
    route: 'sdk',
    path: '/api/v1/identities/',
    headers: { 'x-environment-key': clientKey },
    body: JSON.stringify({ identifier: `attacker-${n}`, traits: [{ trait_key: HOSTILE_TRAIT, trait_value: value(lengths.sdk, shape) }] }),
  };
}

/** prom-client's `nodejs_eventloop_lag_max_seconds` (any prefix) from an exposition text, or undefined. */
export function eventLoopLagMaxSeconds(metricsText: string): number | undefined {
  const match = /^(?:[A-Za-z_:][\w:]*)?nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m.exec(metricsText);
  if (!match) return undefined;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Percentiles (nearest rank) of the answered requests' latencies together with the requests still
 * unanswered at the end, each counted with how long it had waited (a lower bound of its latency, so
 * the percentile is one too). `atLeast` when the unanswered requests alone reach the percentile (they
 * are more than 1% of all for the 99th): it is then the wait of a request that may never be answered,
 * and nothing bounds it from above. Otherwise the unanswered are too few to reach it, and the figure
 * is the usual one: whatever their latencies, the percentile is an answered request's or close to it.
 */
export function latencyPercentiles(
  answered: readonly number[],
  unanswered: readonly number[],
): { p50: number; p50AtLeast: boolean; p99: number; p99AtLeast: boolean } {
  const all = [...answered, ...unanswered].sort((a, b) => a - b);
  if (all.length === 0) return { p50: 0, p50AtLeast: false, p99: 0, p99AtLeast: false };
  const rank = (p: number) => Math.max(1, Math.ceil((p / 100) * all.length));
  // Were the unanswered never answered, they would hold the top `unanswered.length` ranks.
  const unbounded = (p: number) => rank(p) > all.length - unanswered.length;
  return { p50: all[rank(50) - 1], p50AtLeast: unbounded(50), p99: all[rank(99) - 1], p99AtLeast: unbounded(99) };
}

/** The median of some turns' figures and their range; `atLeast` when any of them is a lower bound. */
export interface Spread extends MedianAndRange {
  atLeast: boolean;
}
export function spread(values: ReadonlyArray<{ value: number; atLeast: boolean }>): Spread {
  return { ...spreadOf(values.map((v) => v.value)), atLeast: values.some((v) => v.atLeast) };
}

export interface HostileTurn {
  attacker: boolean;
  seconds: number;
  honest: {
    /** Answered with 2xx a second. */
    rps: number;
    p50: number;
    p99: number;
    /** The percentile is a lower bound: requests still unanswered at the end of the turn reach it (see latencyPercentiles). */
    p50AtLeast: boolean;
    p99AtLeast: boolean;
    /** Non-2xx responses, connection errors and timeouts. */
    errors: number;
    /** Requests in flight when the turn ended (one per connection), counted with how long they had waited. */
    inFlightAtEnd: number;
    /** The longest of those waits, ms. */
    longestInFlightMs: number;
  };
  attack?: {
    /** Requests a second it was paced at: the honest rate of the turn before, × share / (1 − share). */
    rate: number;
    sent: number;
    /** Share of all requests sent during the turn that were the attacker's. */
    share: number;
    answered: number;
    /** Answered with anything but 200. */
    refused: number;
    /** Still unanswered SETTLE_MS after the turn. */
    unanswered: number;
  };
  /**
   * The longest event-loop delay during the turn and the settling after it, in ms: prom-client's
   * `nodejs_eventloop_lag_max_seconds` (perf_hooks.monitorEventLoopDelay, reset by the scrape before
   * the turn), or when the service stopped answering, how long it had answered nothing (`stallAtLeast`).
   */
  longestStallMs: number;
  stallAtLeast: boolean;
  /** The service stopped answering (or had not finished the attacker's requests) and was started again. */
  restarted: boolean;
}

export interface HostileSide {
  /** Honest p99 latency over the turns, ms. */
  p99Ms: Spread;
  /** Longest event-loop delay over the turns, ms. */
  stallMs: Spread;
  longestStallMs: number;
  stallAtLeast: boolean;
}

export interface HostileResult {
  name: string;
  trait: string;
  patterns: readonly string[];
  attackerShare: number;
  /** The lengths the attacker sent; `refusedLengths`: longer ones the service refused (400) on that route. */
  valueLengths: ValueLengths;
  refusedLengths: { ofrep: number[]; sdk: number[] };
  turnSeconds: number;
  turns: HostileTurn[];
  withoutAttacker: HostileSide;
  withAttacker: HostileSide;
  /** Median honest p99 with the attacker over the median without it. */
  p99Ratio: number;
  /** The ratio is a lower bound (the p99 with the attacker is, and the one without is not). */
  p99RatioAtLeast: boolean;
  /** Times the service was killed and started again. */
  restarts: number;
}

export function summarize(
  turns: HostileTurn[],
  turnSeconds: number,
  valueLengths: ValueLengths,
  refusedLengths: HostileResult['refusedLengths'] = { ofrep: [], sdk: [] },
): HostileResult {
  const side = (attacker: boolean): HostileSide => {
    const mine = turns.filter((t) => t.attacker === attacker);
    const stallMs = spread(mine.map((t) => ({ value: t.longestStallMs, atLeast: t.stallAtLeast })));
    return {
      p99Ms: spread(mine.map((t) => ({ value: t.honest.p99, atLeast: t.honest.p99AtLeast }))),
      stallMs,
      longestStallMs: stallMs.max,
      stallAtLeast: stallMs.atLeast,
    };
  };
  const withoutAttacker = side(false);
  const withAttacker = side(true);
  return {
    name: HOSTILE_SCENARIO,
    trait: HOSTILE_TRAIT,
    patterns: HOSTILE_PATTERNS,
    attackerShare: ATTACKER_SHARE,
    valueLengths,
    refusedLengths,
    turnSeconds,
    turns,
    withoutAttacker,
    withAttacker,
    p99Ratio: withAttacker.p99Ms.median / Math.max(withoutAttacker.p99Ms.median, 0.001),
    // A lower bound over an exact figure is a lower bound; over another lower bound it is neither.
    p99RatioAtLeast: withAttacker.p99Ms.atLeast && !withoutAttacker.p99Ms.atLeast,
    restarts: turns.filter((t) => t.restarted).length,
  };
}

// ---- running it ---------------------------------------------------------------------------------

export interface HonestRequest {
  method: string;
  headers: Record<string, string>;
  body: () => string;
}

export interface HostileDeps {
  /** The service's base URL (the same after a restart). */
  url: string;
  adminToken: string;
  clientKey: string;
  honest: HonestRequest;
  connections: number;
  turnSeconds: number;
  warmupSeconds: number;
  /** Kills the service (it may not answer SIGTERM) and starts it again on the same database and port. */
  restartService(): Promise<void>;
  log(message: string): void;
}

/** When the service last answered anything: the lower bound of a stall that never ends. */
interface Activity {
  lastResponseAt: number;
}

async function adminCall(deps: HostileDeps, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${deps.url}/api/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${deps.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`hostile setup, ${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** One feature and one segment (a REGEX condition on the trait) overriding it, per pattern, through the admin API. */
export async function prepareHostileEnvironment(deps: HostileDeps): Promise<void> {
  const { project_id: projectId } = await adminCall(deps, 'GET', `/environments/${deps.clientKey}`);
  for (const [i, pattern] of HOSTILE_PATTERNS.entries()) {
    const feature = guardFeature(i + 1);
    await adminCall(deps, 'POST', `/projects/${projectId}/features`, { name: feature, default_enabled: false });
    const segment = await adminCall(deps, 'POST', `/projects/${projectId}/segments`, {
      name: `regex_guard_${i + 1}`,
      rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'REGEX', property_: HOSTILE_TRAIT, value: pattern }] }],
    });
    await adminCall(deps, 'POST', `/environments/${deps.clientKey}/segment-overrides`, {
      feature,
      segment_id: segment.id,
      enabled: true,
      value: 'matched',
    });
  }
}

/**
 * The attacker's value lengths: on each route the longest of its candidates the service accepts, tried
 * with a benign attacker-shaped request that must be answered 200 with the segment of `^(\w+\s?)*$`
 * matched, so the attacker's requests do reach the REGEX conditions through both routes.
 */
async function chooseLengths(deps: HostileDeps): Promise<{ lengths: ValueLengths; refused: HostileResult['refusedLengths'] }> {
  const guard = guardFeature(HOSTILE_PATTERNS.indexOf('^(\\w+\\s?)*$') + 1);
  const refused: HostileResult['refusedLengths'] = { ofrep: [], sdk: [] };
  const lengths: Partial<ValueLengths> = {};
  for (const [n, route, candidates] of [
    [0, 'ofrep', OFREP_VALUE_LENGTHS],
    [1, 'sdk', SDK_VALUE_LENGTHS],
  ] as const) {
    for (const length of candidates) {
      const { path, headers, body } = attackRequest(deps.clientKey, n, benignValue, { ofrep: length, sdk: length });
      const response = await fetch(deps.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const text = await response.text();
      if (response.status === 400 && length !== candidates[candidates.length - 1]) {
        refused[route].push(length);
        deps.log(`  ${path} refuses ${length.toLocaleString('en')}-character values (400): the attacker sends shorter ones there`);
        continue;
      }
      if (response.status !== 200)
        throw new Error(`hostile: the attacker's request to ${path} was refused (${response.status}): ${text.slice(0, 300)}`);
      const parsed = JSON.parse(text) as {
        flags: Array<{ key?: string; value?: unknown; feature?: { name: string }; feature_state_value?: unknown }>;
      };
      const flag = parsed.flags.find((f) => (f.key ?? f.feature?.name) === guard);
      const value = flag?.value ?? flag?.feature_state_value;
      if (value !== 'matched')
        throw new Error(`hostile: ${path} did not evaluate the REGEX segments on '${HOSTILE_TRAIT}' (${guard}: ${JSON.stringify(flag)})`);
      lengths[route] = length;
      break;
    }
  }
  return { lengths: lengths as ValueLengths, refused };
}

/** prom-client's longest event-loop delay since the last scrape, in seconds, or undefined when the service does not answer in time. */
async function scrapeLagMax(url: string, timeoutMs: number, activity: Activity): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    activity.lastResponseAt = performance.now();
    const lag = eventLoopLagMaxSeconds(text);
    if (lag === undefined)
      throw new Error("hostile: the service's /metrics has no nodejs_eventloop_lag_max_seconds (prom-client's default metrics)");
    return lag;
  } catch (error) {
    if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') return undefined;
    throw error;
  }
}

interface HonestLoad {
  latencies: number[];
  inFlightWaited: number[];
  errors: number;
  seconds: number;
}

/**
 * The honest load: autocannon, as the identity scenario drives it, with every response's latency kept.
 * autocannon drops the requests still in flight when it stops; each connection has exactly one (it sends
 * the next request as soon as the last is answered, or as soon as it has reconnected after an error),
 * sent no later than that connection's last answer or the turn's last error. They are kept with how
 * long they had waited by then: against a stalled service they are the ones that matter.
 */
function honestLoad(deps: HostileDeps, seconds: number, activity: Activity): Promise<HonestLoad> {
  const latencies: number[] = [];
  const lastAnswer = new Map<unknown, number>();
  let lastErrorAt = -Infinity;
  let errors = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${deps.url}/api/v1/identities/`,
        connections: deps.connections,
        duration: seconds,
        // No timeout within a turn: a request unanswered at its end is counted with how long it waited.
        timeout: Math.max(10, 2 * seconds),
        method: deps.honest.method as 'POST',
        headers: { 'content-type': 'application/json', ...deps.honest.headers },
        requests: [{ setupRequest: (req: any) => ({ ...req, body: deps.honest.body() }) }],
      },
      (error, result) => {
        if (error) return reject(error);
        const stoppedAt = performance.now();
        const inFlightWaited: number[] = [];
        for (const answeredAt of lastAnswer.values()) inFlightWaited.push(stoppedAt - Math.max(answeredAt, lastErrorAt));
        for (let i = lastAnswer.size; i < deps.connections; i++) inFlightWaited.push(stoppedAt - Math.max(started, lastErrorAt));
        resolve({ latencies, inFlightWaited, errors: errors + result.non2xx, seconds: (stoppedAt - started) / 1000 });
      },
    );
    instance.on('response', (client, statusCode, _bytes, responseTime) => {
      const now = performance.now();
      lastAnswer.set(client, now);
      activity.lastResponseAt = now;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
    instance.on('reqError', () => {
      lastErrorAt = performance.now();
      errors++;
    });
  });
}

/** The attacker: open-loop, paced at `rate` requests a second whatever the service does, each on a connection of its own if need be. */
class Attacker {
  sent = 0;
  answered = 0;
  refused = 0;
  failed = 0;
  firstRefusal?: string;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly deps: HostileDeps,
    private readonly rate: number,
    private readonly value: (length: number, n: number) => string,
    private readonly counter: { next: number },
    private readonly activity: Activity,
    private readonly lengths: ValueLengths,
  ) {
    this.timer = setInterval(() => this.tick(), 5);
    this.tick();
  }

  get outstanding(): number {
    return this.sent - this.answered - this.failed;
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.started) / 1000) * this.rate) + 1;
    while (this.sent < due) this.send();
  }

  private send(): void {
    const { path, headers, body } = attackRequest(this.deps.clientKey, this.counter.next++, this.value, this.lengths);
    const target = new URL(this.deps.url);
    this.sent++;
    const request = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path,
        method: 'POST',
        agent: this.agent,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text.length < 300) text += chunk;
        });
        response.on('end', () => {
          if (this.closed) return;
          this.activity.lastResponseAt = performance.now();
          this.answered++;
          if (response.statusCode !== 200) {
            this.refused++;
            this.firstRefusal ??= `${path}: ${response.statusCode} ${text.slice(0, 300)}`;
          }
        });
      },
    );
    request.on('error', () => {
      if (!this.closed) this.failed++;
    });
    request.end(body);
  }

  stopSending(): void {
    clearInterval(this.timer);
  }

  /** Whether every request sent has been answered (or has failed) within `timeoutMs`. */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.outstanding > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.outstanding === 0;
  }

  /** Stops counting and drops every connection. */
  close(): void {
    this.stopSending();
    this.closed = true;
    this.agent.destroy();
  }
}

/**
 * Warm-up, unmeasured: the honest load alone (its rate sets the first attacked turn's pace if no turn
 * has yet), then with the attacker at that pace sending benign values of the same length, so the
 * attacker's routes and the matcher are compiled too. Returns the honest rate.
 */
async function warmUp(
  deps: HostileDeps,
  counter: { next: number },
  rate: number | undefined,
  lengths: ValueLengths,
): Promise<number | undefined> {
  if (deps.warmupSeconds === 0) return rate;
  const activity: Activity = { lastResponseAt: performance.now() };
  const alone = await honestLoad(deps, deps.warmupSeconds, activity);
  const pace = rate ?? attackRate(alone.latencies.length / alone.seconds);
  const attacker = new Attacker(deps, pace, (length) => benignValue(length), counter, activity, lengths);
  await honestLoad(deps, deps.warmupSeconds, activity);
  attacker.stopSending();
  const settled = await attacker.settled(SETTLE_MS);
  attacker.close();
  if (!settled || attacker.refused > 0 || attacker.failed > 0) {
    throw new Error(
      `hostile warm-up: of ${attacker.sent} benign attacker-shaped requests, ${attacker.refused} refused, ${attacker.failed} failed, ` +
        `${attacker.outstanding} unanswered after ${SETTLE_MS} ms${attacker.firstRefusal ? ` (first refusal ${attacker.firstRefusal})` : ''}`,
    );
  }
  return pace;
}

/** The attacker's pace for an honest rate: its requests are ATTACKER_SHARE of all. */
export const attackRate = (honestRps: number): number => (honestRps * ATTACKER_SHARE) / (1 - ATTACKER_SHARE);

async function turn(
  deps: HostileDeps,
  attacking: boolean,
  rate: number,
  counter: { next: number },
  lengths: ValueLengths,
): Promise<HostileTurn> {
  const activity: Activity = { lastResponseAt: performance.now() };
  // Resets prom-client's event-loop histogram (its collect() reads it, then resets it).
  if ((await scrapeLagMax(deps.url, 10_000, activity)) === undefined)
    throw new Error('hostile: the service did not answer /metrics before a turn');
  await new Promise((resolve) => setTimeout(resolve, REARM_MS));
  const attacker = attacking ? new Attacker(deps, rate, hostileValue, counter, activity, lengths) : undefined;
  const honest = await honestLoad(deps, deps.turnSeconds, activity);
  attacker?.stopSending();
  const settled = attacker ? await attacker.settled(SETTLE_MS) : true;
  // A service that has not settled the attacker's requests gets one more second to answer /metrics.
  const lag = await scrapeLagMax(deps.url, settled ? SETTLE_MS : 1_000, activity);
  const answeredNothingFor = performance.now() - activity.lastResponseAt;
  const restart = lag === undefined || !settled;
  const attack = attacker && {
    rate,
    sent: attacker.sent,
    share: attacker.sent / Math.max(attacker.sent + honest.latencies.length + honest.errors + honest.inFlightWaited.length, 1),
    answered: attacker.answered,
    refused: attacker.refused,
    unanswered: attacker.outstanding,
  };
  attacker?.close();
  if (restart) {
    deps.log(
      lag === undefined
        ? `  the service answered nothing for ${(answeredNothingFor / 1000).toFixed(1)} s after the turn: killing it and starting it again`
        : `  ${attack?.unanswered} of the attacker's requests still unanswered ${SETTLE_MS} ms after the turn: killing the service and starting it again`,
    );
    await deps.restartService();
  }
  const percentiles = latencyPercentiles(honest.latencies, honest.inFlightWaited);
  return {
    attacker: attacking,
    seconds: honest.seconds,
    honest: {
      rps: honest.latencies.length / honest.seconds,
      p50: percentiles.p50,
      p99: percentiles.p99,
      p50AtLeast: percentiles.p50AtLeast,
      p99AtLeast: percentiles.p99AtLeast,
      errors: honest.errors,
      inFlightAtEnd: honest.inFlightWaited.length,
      longestInFlightMs: Math.max(0, ...honest.inFlightWaited),
    },
    attack,
    longestStallMs: lag === undefined ? answeredNothingFor : lag * 1000,
    stallAtLeast: restart,
    restarted: restart,
  };
}

/** The scenario: setup, warm-up, then HOSTILE_TURNS turns each way, alternating, starting without the attacker. */
export async function measureHostile(deps: HostileDeps): Promise<HostileResult> {
  await prepareHostileEnvironment(deps);
  const { lengths, refused } = await chooseLengths(deps);
  const counter = { next: 0 };
  let rate = await warmUp(deps, counter, undefined, lengths);
  const turns: HostileTurn[] = [];
  for (let i = 0; i < HOSTILE_TURNS; i++) {
    for (const attacking of [false, true]) {
      const measured = await turn(deps, attacking, rate ?? 0, counter, lengths);
      turns.push(measured);
      if (!attacking) rate = attackRate(measured.honest.rps);
      deps.log(`  turn ${i + 1} ${attacking ? 'with' : 'without'} the attacker: ${describeTurn(measured)}`);
      if (!attacking && measured.honest.errors > 0)
        throw new Error(`hostile: ${measured.honest.errors} errors in a turn without the attacker`);
      if (measured.restarted) await warmUp(deps, counter, rate, lengths);
    }
  }
  return summarize(turns, deps.turnSeconds, lengths, refused);
}

const ms = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(1));
const bound = (atLeast: boolean) => (atLeast ? '≥ ' : '');

export function describeTurn(t: HostileTurn): string {
  const attack = t.attack ? `, attacker ${t.attack.sent} sent (${Math.round(t.attack.rate)}/s), ${t.attack.answered} answered` : '';
  return (
    `honest ${Math.round(t.honest.rps).toLocaleString('en')} req/s, p99 ${bound(t.honest.p99AtLeast)}${ms(t.honest.p99)} ms, ` +
    `${t.honest.errors} errors${attack}; longest event-loop delay ${bound(t.stallAtLeast)}${ms(t.longestStallMs)} ms${t.restarted ? ' (restarted)' : ''}`
  );
}

/** The scenario's figures as rows for the report's table, and the summary lines under it. */
export function hostileRows(result: HostileResult): { rows: string[][]; summary: string[] } {
  const turnNumber = new Map<boolean, number>();
  const rows = result.turns.map((t) => {
    const n = (turnNumber.get(t.attacker) ?? 0) + 1;
    turnNumber.set(t.attacker, n);
    return [
      `${n} ${t.attacker ? 'with' : 'without'}`,
      Math.round(t.honest.rps).toLocaleString('en'),
      `${bound(t.honest.p50AtLeast)}${ms(t.honest.p50)}`,
      `${bound(t.honest.p99AtLeast)}${ms(t.honest.p99)}`,
      String(t.honest.errors),
      t.attack ? `${t.attack.sent} / ${t.attack.answered} (${Math.round(t.attack.rate)}/s)` : '',
      `${bound(t.stallAtLeast)}${ms(t.longestStallMs)}${t.restarted ? ' (restarted)' : ''}`,
    ];
  });
  const side = (s: HostileSide) => `${bound(s.p99Ms.atLeast)}${ms(s.p99Ms.median)} ms (${ms(s.p99Ms.min)}–${ms(s.p99Ms.max)})`;
  const refused = [
    ...result.refusedLengths.ofrep.map((l) => `OFREP ${l.toLocaleString('en')}`),
    ...result.refusedLengths.sdk.map((l) => `SDK ${l.toLocaleString('en')}`),
  ];
  const summary = [
    `attacker: ${100 * result.attackerShare}% of the requests, '${result.trait}' values of ${result.valueLengths.ofrep.toLocaleString('en')} characters through OFREP ` +
      `and ${result.valueLengths.sdk.toLocaleString('en')} through the SDK route, against ${result.patterns.join('  ')}` +
      (refused.length > 0 ? ` (the service refused longer values: ${refused.join(', ')} characters)` : ''),
    `honest p99, median of ${HOSTILE_TURNS} turns (range): ${side(result.withAttacker)} with the attacker, ${side(result.withoutAttacker)} without; ` +
      `ratio ${bound(result.p99RatioAtLeast)}${result.p99Ratio.toFixed(2)}×`,
    `longest event-loop delay in a turn: ${bound(result.withAttacker.stallAtLeast)}${ms(result.withAttacker.longestStallMs)} ms with the attacker, ` +
      `${bound(result.withoutAttacker.stallAtLeast)}${ms(result.withoutAttacker.longestStallMs)} ms without` +
      (result.restarts > 0
        ? `; the service was killed and started again after ${result.restarts} turn(s) in which it stopped answering`
        : ''),
  ];
  return { rows, summary };
}
