/**
 * Flagsmith's SDK response bodies, written as strings from pre-serialised parts: the feature objects
 * are serialised once per environment change, so a response costs one concatenation per flag.
 */
import { evaluateEnvironmentFlags, type FlagResult } from '../engine';
import { notFound } from '../errors';
import type { TraitValue } from '../schemas/environment-document';
import type { PreparedEnvironment } from './prepared-environment';

/** The content type of every SDK and OFREP answer, on the service and at the edge. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Who asks: client keys never see server-key-only features. */
export type FlagAudience = 'client' | 'server';

interface FlagContext {
  readonly environmentId: number;
  readonly featureJson: ReadonlyMap<number, string>;
  readonly compiled: {
    readonly serverKeyOnlyFeatureIds: ReadonlySet<number>;
    readonly document: { readonly project: { readonly hide_disabled_flags: boolean } };
  };
}

/** Whether an audience may see a flag: client keys never see server-key-only features, and nobody a hidden disabled flag. */
export function isVisible(env: FlagContext, flag: FlagResult, audience: FlagAudience): boolean {
  return (
    (audience === 'server' || !env.compiled.serverKeyOnlyFeatureIds.has(flag.featureId)) &&
    (flag.enabled || !env.compiled.document.project.hide_disabled_flags)
  );
}

/** The flags an audience may see, in document order. */
function visibleFlags(env: FlagContext, flags: readonly FlagResult[], audience: FlagAudience): FlagResult[] {
  return flags.filter((flag) => isVisible(env, flag, audience));
}

// The engine's results are built once per compiled environment and shared by every request, so each
// one's JSON is written once (identity responses repeat it for every identity).
const flagJsonByResult = new WeakMap<FlagResult, string>();

/** One flag as Flagsmith's `GET /api/v1/flags/` and identities endpoints return it. */
function flagJson(env: FlagContext, flag: FlagResult): string {
  let json = flagJsonByResult.get(flag);
  if (json === undefined) {
    json =
      `{"id":${flag.featureState.django_id ?? 0},"feature":${env.featureJson.get(flag.featureId)},` +
      `"feature_state_value":${JSON.stringify(flag.value)},"environment":${env.environmentId},` +
      `"identity":null,"feature_segment":null,"enabled":${flag.enabled}}`;
    flagJsonByResult.set(flag, json);
  }
  return json;
}

export function flagsJson(env: FlagContext, flags: readonly FlagResult[], audience: FlagAudience): string {
  let json = '';
  for (const flag of flags) if (isVisible(env, flag, audience)) json += json === '' ? flagJson(env, flag) : `,${flagJson(env, flag)}`;
  return `[${json}]`;
}

export interface ResponseTrait {
  trait_key: string;
  trait_value: TraitValue;
  transient?: boolean;
}

/** The body of `GET`/`POST /api/v1/identities/`. */
export function identityJson(
  env: FlagContext,
  identifier: string,
  flags: readonly FlagResult[],
  traits: readonly ResponseTrait[],
  audience: FlagAudience,
): string {
  return (
    `{"identifier":${JSON.stringify(identifier)},"flags":${flagsJson(env, flags, audience)},` +
    `"traits":${JSON.stringify(traits)}}`
  );
}

/**
 * The body of `GET /api/v1/flags/`: every flag the audience may see (pre-serialised), or with
 * `?feature=` that one flag, 404 when the audience cannot see a flag of that name.
 */
export function flagsAnswer(env: PreparedEnvironment, audience: FlagAudience, feature: string | undefined): Buffer | string {
  if (feature === undefined) return env.environmentFlagsBody[audience];
  const flag = visibleFlags(env, evaluateEnvironmentFlags(env.compiled), audience).find((f) => f.featureName === feature);
  if (!flag) throw notFound(`Feature '${feature}' not found`);
  return flagJson(env, flag);
}
