/**
 * Price overrides (`npm run cost -- --prices FILE`): what an account really pays where it differs from
 * the public tables. A discount in percent per AWS service or per price key, a private price per price
 * key (USD per the table's unit, in every region, replacing its volume tiers), and a Compute Savings
 * Plan discount on what such a plan covers (EC2 instance hours, Fargate, Lambda duration). Applied to
 * each price as a charge is priced; the report lists which overrides applied and to how many lines.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Price } from './index';

const Percent = Type.Number({ minimum: 0, maximum: 100, description: 'percent off the public price' });
const PriceKey = Type.String({ pattern: '^[a-z0-9.:_-]+$' });

/** The overrides file. */
export const PriceOverridesSchema = Type.Object(
  {
    $comment: Type.Optional(Type.String()),
    discounts: Type.Optional(
      Type.Object(
        {
          /** By the service a line is grouped under in the report ("Amazon CloudFront", "AWS Lambda", …). */
          services: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Percent)),
          /** By price key (`cloudfront.data-out:europe`); wins over the service's discount. */
          prices: Type.Optional(Type.Record(PriceKey, Percent)),
        },
        { additionalProperties: false },
      ),
    ),
    /** USD per the price's unit, replacing the public price and its tiers; no discount applies on top. */
    privatePrices: Type.Optional(Type.Record(PriceKey, Type.Number({ minimum: 0 }))),
    /** A Compute Savings Plan's discount, on top of any other discount. */
    savingsPlan: Type.Optional(Type.Object({ computePercent: Percent }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type PriceOverrides = Static<typeof PriceOverridesSchema>;

/** What a Compute Savings Plan covers: EC2 instance hours, Fargate vCPU and memory, Lambda duration (not Lambda@Edge, not requests). */
const SAVINGS_PLAN_KEYS = /^(ec2\.instance:|fargate\.(vcpu|memory):|lambda\.duration:)/;

/**
 * Validates an overrides file: the schema, then every service and price key against what the tables
 * and the report know. Throws with every problem, each naming its path in the file.
 */
export function validatePriceOverrides(file: unknown, services: readonly string[], priceKeys: ReadonlySet<string>): PriceOverrides {
  const problems = [...Value.Errors(PriceOverridesSchema, file)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (problems.length === 0) {
    const valid = file as PriceOverrides;
    for (const service of Object.keys(valid.discounts?.services ?? {}))
      if (!services.includes(service))
        problems.push(`/discounts/services/${service}: not a service the report groups by (${services.join(', ')})`);
    for (const [path, record] of [
      ['/discounts/prices', valid.discounts?.prices],
      ['/privatePrices', valid.privatePrices],
    ] as const)
      for (const key of Object.keys(record ?? {}))
        if (!priceKeys.has(key)) problems.push(`${path}/${key}: no price of that key in any table (lib/cost/prices/)`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n  '));
  return file as PriceOverrides;
}

const percent = (value: number) => `${Number(value.toFixed(4))}%`;

/** The label of every override in the file, as `overriddenPrice` names the ones it applies. */
export function overrideLabels(overrides: PriceOverrides): string[] {
  return [
    ...Object.entries(overrides.discounts?.services ?? {}).map(([service, value]) => `discount on ${service}: ${percent(value)}`),
    ...Object.entries(overrides.discounts?.prices ?? {}).map(([key, value]) => `discount on ${key}: ${percent(value)}`),
    ...Object.entries(overrides.privatePrices ?? {}).map(([key, usd]) => `private price ${key}: $${usd}`),
    ...(overrides.savingsPlan ? [`Compute Savings Plan: ${percent(overrides.savingsPlan.computePercent)}`] : []),
  ];
}

/**
 * `price` as the overrides make it for a charge of `service` under `key`, and the label of each
 * override that changed it (empty when none did).
 */
export function overriddenPrice(
  price: Price,
  key: string,
  service: string,
  overrides?: PriceOverrides,
): { price: Price; applied: string[] } {
  if (overrides === undefined) return { price, applied: [] };
  const own = overrides.privatePrices?.[key];
  if (own !== undefined) return { price: { ...price, usd: own, tiers: undefined }, applied: [`private price ${key}: $${own}`] };
  const applied: string[] = [];
  let factor = 1;
  const byKey = overrides.discounts?.prices?.[key];
  const byService = overrides.discounts?.services?.[service];
  if (byKey !== undefined) {
    factor *= 1 - byKey / 100;
    applied.push(`discount on ${key}: ${percent(byKey)}`);
  } else if (byService !== undefined) {
    factor *= 1 - byService / 100;
    applied.push(`discount on ${service}: ${percent(byService)}`);
  }
  const plan = overrides.savingsPlan?.computePercent;
  if (plan !== undefined && SAVINGS_PLAN_KEYS.test(key)) {
    factor *= 1 - plan / 100;
    applied.push(`Compute Savings Plan: ${percent(plan)}`);
  }
  if (factor === 1) return { price, applied };
  return {
    price: { ...price, usd: price.usd * factor, tiers: price.tiers?.map((tier) => ({ ...tier, usd: tier.usd * factor })) },
    applied,
  };
}
