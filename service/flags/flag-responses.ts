/**
 * Flagsmith's SDK response bodies, written from pre-serialised parts: the feature objects are
 * serialised once per environment change, and each flag result's JSON once per result, so a response
 * costs one copy per flag.
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
// one's JSON is written once (identity responses repeat it for every identity), and encoded once.
const flagJsonByResult = new WeakMap<FlagResult, string>();
const flagBytesByResult = new WeakMap<FlagResult, Buffer>();

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

function flagBytes(env: FlagContext, flag: FlagResult): Buffer {
  let bytes = flagBytesByResult.get(flag);
  if (bytes === undefined) flagBytesByResult.set(flag, (bytes = Buffer.from(flagJson(env, flag))));
  return bytes;
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

/**
 * JSON parts joined with commas between a head and a tail, into one buffer: a body sent as bytes needs
 * neither the length scan nor the encoding a string body costs per response (and a string built by
 * concatenation is flattened first).
 */
export function joinedBytes(head: string, parts: readonly Buffer[], tail: string): Buffer {
  let length = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(parts.length - 1, 0);
  for (const part of parts) length += part.length;
  const body = Buffer.allocUnsafe(length);
  let at = body.write(head);
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) body[at++] = 0x2c; // ','
    at += parts[i].copy(body, at);
  }
  body.write(tail, at);
  return body;
}

/** The body of `GET`/`POST /api/v1/identities/`. */
export function identityBody(
  env: FlagContext,
  identifier: string,
  flags: readonly FlagResult[],
  traits: readonly ResponseTrait[],
  audience: FlagAudience,
): Buffer {
  const visible: Buffer[] = [];
  for (const flag of flags) if (isVisible(env, flag, audience)) visible.push(flagBytes(env, flag));
  return joinedBytes(`{"identifier":${JSON.stringify(identifier)},"flags":[`, visible, `],"traits":${JSON.stringify(traits)}}`);
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
