/**
 * CloudFront flat-rate plans beside pay-as-you-go, per distribution: the cheapest plan whose monthly
 * allowances cover the distribution's requests and data out (and that it can use: the plans do not run
 * Lambda@Edge), against what pay-as-you-go costs for what a plan bundles (requests, data out,
 * CloudFront Functions); the cheaper is priced, with a note saying which and why. A plan has no overage
 * charges (past its allowance AWS may throttle), so one that does not cover the month is never chosen.
 * The report also prices a WAF web ACL on each distribution as an option (the plans include one).
 */
import { formatUsd, formatVolume } from './format';
import { ASSUMPTIONS } from './profile';
import type { Charge, DistributionTraffic } from './usage';

/**
 * The plans, per distribution and month (launched 2025-11-18); their fees are in prices/global.json.
 * Secondary sources, to confirm against https://aws.amazon.com/cloudfront/pricing/: duckbillhq.com
 * ("CloudFront flat-rate pricing", 2026), bybowu.com (2025-11-30), finops.com.py/services/cloudfront/flat-rate-pricing.
 */
export const FLAT_RATE_PLANS = [
  { plan: 'free', name: 'Free', requests: 1e6, dataGb: 100 },
  { plan: 'pro', name: 'Pro', requests: 10e6, dataGb: 50_000 },
  { plan: 'business', name: 'Business', requests: 125e6, dataGb: 50_000 },
  { plan: 'premium', name: 'Premium', requests: 500e6, dataGb: 50_000 },
] as const;
type Plan = (typeof FLAT_RATE_PLANS)[number];

const gb = (value: number) => (value >= 1000 ? `${Number((value / 1000).toPrecision(3))} TB` : `${Number(value.toPrecision(3))} GB`);

/** What was chosen for one distribution at one volume. */
export interface DeliveryChoice {
  readonly distribution: string;
  /** The plan priced instead of pay-as-you-go; undefined: pay-as-you-go. */
  readonly plan?: Plan;
  readonly charge?: Charge;
  readonly note: string;
}

/**
 * Chooses pay-as-you-go or a plan for `traffic`, given what pay-as-you-go costs for the charges a plan
 * would bundle and what each plan's fee comes to (with any price overrides).
 */
export function chooseDelivery(
  traffic: DistributionTraffic,
  paygUsd: number,
  feeOf: (plan: Plan) => number,
  where: string,
): DeliveryChoice {
  const name = traffic.resource.slice(traffic.resource.indexOf('/') + 1);
  const payg = `${where}, CloudFront ${name}: pay-as-you-go (${formatUsd(paygUsd)} for requests, data out and CloudFront Functions)`;
  const month = `${formatVolume(traffic.requests)} requests and ${gb(traffic.dataGb)}`;
  if (traffic.flatRateExcluded !== undefined) return { distribution: traffic.resource, note: `${payg}: ${traffic.flatRateExcluded}` };
  const covering = FLAT_RATE_PLANS.filter((plan) => traffic.requests <= plan.requests && traffic.dataGb <= plan.dataGb);
  if (covering.length === 0) {
    const largest = FLAT_RATE_PLANS[FLAT_RATE_PLANS.length - 1];
    return {
      distribution: traffic.resource,
      note: `${payg}: no flat-rate plan covers ${month} (${largest.name}: ${formatVolume(largest.requests)} requests and ${gb(largest.dataGb)})`,
    };
  }
  const cheapest = covering.reduce((best, plan) => (feeOf(plan) < feeOf(best) ? plan : best));
  const fee = feeOf(cheapest);
  const terms = `${cheapest.name} flat-rate plan (${formatUsd(fee)}: ${formatVolume(cheapest.requests)} requests and ${gb(cheapest.dataGb)} a month)`;
  if (fee >= paygUsd) return { distribution: traffic.resource, note: `${payg}: cheaper than the ${terms}, which would cover ${month}` };
  const why = `${month} fit its allowances; pay-as-you-go would cost ${formatUsd(paygUsd)}`;
  return {
    distribution: traffic.resource,
    plan: cheapest,
    charge: {
      service: 'Amazon CloudFront',
      resource: traffic.resource,
      region: traffic.region,
      priceKey: `cloudfront.flat-rate:${cheapest.plan}`,
      unit: 'plan-month',
      quantity: 1,
      what: `${cheapest.name} flat-rate plan: ${why}`,
    },
    note: `${where}, CloudFront ${name}: the ${terms}, not pay-as-you-go: ${why}`,
  };
}

/** The charges of a WAF web ACL on a distribution with `requests` a month (priced for a note, not in the totals). */
export function wafCharges(traffic: DistributionTraffic): Charge[] {
  const base = { service: 'Amazon CloudFront' as const, resource: traffic.resource, region: traffic.region };
  return [
    { ...base, priceKey: 'waf.web-acl', unit: 'web-ACL-month', quantity: 1, what: 'web ACL' },
    { ...base, priceKey: 'waf.rule', unit: 'rule-month', quantity: ASSUMPTIONS.wafRules, what: 'rules' },
    { ...base, priceKey: 'waf.requests', unit: 'million requests', quantity: traffic.requests / 1e6, what: 'requests inspected' },
  ];
}
