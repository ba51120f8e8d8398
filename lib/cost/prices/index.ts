/**
 * The price tables: one versioned JSON file per region plus one for global services (CloudFront,
 * Route 53), each price with its unit, source, date and whether a source confirmed it. Files are
 * validated when loaded; a price is read by key (`ec2.instance:t4g.small`), and a missing key is
 * an error the estimate turns into an "unpriced" entry, never a silent $0.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import apSoutheast1 from './ap-southeast-1.json';
import euWest1 from './eu-west-1.json';
import euWest2 from './eu-west-2.json';
import globalPrices from './global.json';
import usEast1 from './us-east-1.json';

const IsoDate = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });

/** A monthly allowance billed at $0 before the price applies; allowances with the same pool are shared. */
const FreeAllowance = Type.Object(
  {
    quantity: Type.Number({ minimum: 0, description: 'free quantity per month, in the price unit' }),
    pool: Type.Optional(Type.String({ description: 'prices sharing one allowance (Lambda x86 and Arm duration)' })),
    source: Type.String(),
    verified: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const PriceSchema = Type.Object(
  {
    usd: Type.Number({ minimum: 0, description: 'USD per unit (the first tier when tiered)' }),
    unit: Type.String({ minLength: 1 }),
    source: Type.String({ minLength: 1 }),
    date: IsoDate,
    verified: Type.Boolean({ description: 'confirmed by the source named; false: to check' }),
    note: Type.Optional(Type.String()),
    /** Volume tiers: the quantity above `from` (cumulative, per month) costs `usd`. */
    tiers: Type.Optional(
      Type.Array(
        Type.Object({ from: Type.Number({ exclusiveMinimum: 0 }), usd: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
      ),
    ),
    free: Type.Optional(FreeAllowance),
  },
  { additionalProperties: false },
);
export type Price = Static<typeof PriceSchema>;

export const PriceFileSchema = Type.Object(
  {
    $comment: Type.Optional(Type.String()),
    region: Type.String({ minLength: 1 }),
    version: Type.Integer({ minimum: 1 }),
    asOf: IsoDate,
    currency: Type.Literal('USD'),
    prices: Type.Record(Type.String({ pattern: '^[a-z0-9.:_-]+$' }), PriceSchema),
  },
  { additionalProperties: false },
);
export type PriceFile = Static<typeof PriceFileSchema>;

/**
 * The regions with a price table: full tables for the home regions, the serverless subset for the
 * other regions the edge stage runs in by default.
 */
const REGION_FILES: Readonly<Record<string, unknown>> = {
  'us-east-1': usEast1,
  'eu-west-2': euWest2,
  'eu-west-1': euWest1,
  'ap-southeast-1': apSoutheast1,
};
export const PRICED_REGIONS = Object.keys(REGION_FILES);
/** The regions whose tables price everything the single-box, autoscaled and fargate stages create: where a home region can be priced. */
export const COMPLETE_REGIONS = ['us-east-1', 'eu-west-2'];

export class MissingPriceTableError extends Error {
  constructor(readonly region: string) {
    super(`no price table for region "${region}" (have: ${PRICED_REGIONS.join(', ')}); add lib/cost/prices/${region}.json`);
  }
}

export class MissingPriceError extends Error {
  constructor(
    readonly key: string,
    readonly region: string,
  ) {
    super(`no price "${key}" in the ${region} price table`);
  }
}

/** Validates a price file, throwing with every problem named. */
export function validatePriceFile(file: unknown, name: string): PriceFile {
  const problems = [...Value.Errors(PriceFileSchema, file)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (problems.length > 0) throw new Error(`price table ${name} is invalid:\n  ${problems.join('\n  ')}`);
  const valid = file as PriceFile;
  for (const [key, price] of Object.entries(valid.prices)) {
    const froms = (price.tiers ?? []).map((tier) => tier.from);
    if (froms.some((from, i) => i > 0 && from <= froms[i - 1])) throw new Error(`price table ${name}: ${key} tiers must rise`);
  }
  return valid;
}

/** One region's prices merged with the global ones. */
export class PriceTable {
  private readonly prices: Readonly<Record<string, Price>>;

  constructor(
    readonly region: string,
    regional: PriceFile,
    global: PriceFile,
  ) {
    this.prices = { ...global.prices, ...regional.prices };
    this.version = regional.version;
    // The table is as old as its oldest file.
    this.asOf = regional.asOf < global.asOf ? regional.asOf : global.asOf;
  }

  readonly version: number;
  readonly asOf: string;

  has(key: string): boolean {
    return key in this.prices;
  }

  /** The price under `key`; throws MissingPriceError when the table has none. */
  get(key: string): Price {
    const price = this.prices[key];
    if (price === undefined) throw new MissingPriceError(key, this.region);
    return price;
  }

  keys(): string[] {
    return Object.keys(this.prices);
  }
}

const loaded = new Map<string, PriceTable>();

/** The price table of `region`; throws naming the regions that have one. */
export function priceTable(region: string): PriceTable {
  const cached = loaded.get(region);
  if (cached) return cached;
  const file = REGION_FILES[region];
  if (file === undefined) throw new MissingPriceTableError(region);
  const table = new PriceTable(region, validatePriceFile(file, `${region}.json`), validatePriceFile(globalPrices, 'global.json'));
  loaded.set(region, table);
  return table;
}

/** Every price key some table holds. */
export function allPriceKeys(): Set<string> {
  return new Set(PRICED_REGIONS.flatMap((region) => priceTable(region).keys()));
}

/** The cost of `quantity` under a (possibly tiered) price, after any allowance already taken off. */
export function tieredCost(price: Price, quantity: number): number {
  if (quantity <= 0) return 0;
  const bands = [{ from: 0, usd: price.usd }, ...(price.tiers ?? [])];
  let cost = 0;
  for (let i = 0; i < bands.length; i++) {
    const upTo = i + 1 < bands.length ? bands[i + 1].from : Infinity;
    const inBand = Math.min(quantity, upTo) - bands[i].from;
    if (inBand <= 0) break;
    cost += inBand * bands[i].usd;
  }
  return cost;
}
