/**
 * Flagsmith's SDK response bodies, written from pre-serialised parts: the feature objects are
 * serialised once per environment change, and each flag result's JSON once per result, so a response
 * costs one copy per flag.
 */
import type { FlagResult } from '../engine';
import { notFound } from '../errors';
import type { TraitValue } from '../schemas/environment-document';
import type { PreparedEnvironment } from '../environments/prepared-environment';

/** The content type of every SDK and OFREP answer, on the service and at the edge. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Who asks: client keys never see server-key-only features. */
export type FlagAudience = 'client' | 'server';

interface FlagContext {
  readonly environmentId: number;
  readonly featureJson: ReadonlyMap<number, string>;
  readonly compiled: {
    readonly serverKeyOnlyFeatureIds: ReadonlySet<number>;
    readonly document: { readonly hide_disabled_flags?: boolean | null; readonly project: { readonly hide_disabled_flags: boolean } };
  };
}

/**
 * Whether an audience may see a flag: client keys never see server-key-only features, and nobody a
 * hidden disabled flag (the environment's setting, when it has one, overrides the project's).
 */
export function isVisible(env: FlagContext, flag: FlagResult, audience: FlagAudience): boolean {
  const { document } = env.compiled;
  return (
    (audience === 'server' || !env.compiled.serverKeyOnlyFeatureIds.has(flag.featureId)) &&
    (flag.enabled || !(document.hide_disabled_flags ?? document.project.hide_disabled_flags))
  );
}

// The engine's results are built once per compiled environment and shared by every request, so each
// one's JSON is written and encoded once (identity responses repeat it for every identity).
const flagBytesByResult = new WeakMap<FlagResult, Buffer>();

/** One flag as Flagsmith's `GET /api/v1/flags/` and identities endpoints return it, encoded. */
function flagBytes(env: FlagContext, flag: FlagResult): Buffer {
  let bytes = flagBytesByResult.get(flag);
  if (bytes === undefined) {
    bytes = Buffer.from(
      `{"id":${flag.featureState.django_id ?? 0},"feature":${env.featureJson.get(flag.featureId)},` +
        `"feature_state_value":${JSON.stringify(flag.value)},"environment":${env.environmentId},` +
        `"identity":null,"feature_segment":null,"enabled":${flag.enabled}}`,
    );
    flagBytesByResult.set(flag, bytes);
  }
  return bytes;
}

/** The flags an audience may see, encoded, in document order. */
function visibleFlagBytes(env: FlagContext, flags: readonly FlagResult[], audience: FlagAudience): Buffer[] {
  const visible: Buffer[] = [];
  for (const flag of flags) if (isVisible(env, flag, audience)) visible.push(flagBytes(env, flag));
  return visible;
}

/** A flag list as `GET /api/v1/flags/` returns it. */
function flagsBody(env: FlagContext, flags: readonly FlagResult[], audience: FlagAudience): Buffer {
  return joinedBytes('[', visibleFlagBytes(env, flags, audience), ']');
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
  const visible = visibleFlagBytes(env, flags, audience);
  return joinedBytes(`{"identifier":${JSON.stringify(identifier)},"flags":[`, visible, `],"traits":${JSON.stringify(traits)}}`);
}

// The identity-less flag lists, built and encoded once per environment change, on its first request.
const environmentFlagsBodies = new WeakMap<PreparedEnvironment, Readonly<Record<FlagAudience, Buffer>>>();

function environmentFlagsBody(env: PreparedEnvironment): Readonly<Record<FlagAudience, Buffer>> {
  let bodies = environmentFlagsBodies.get(env);
  if (bodies === undefined) {
    const flags = env.compiled.environmentFlags;
    bodies = { client: flagsBody(env, flags, 'client'), server: flagsBody(env, flags, 'server') };
    environmentFlagsBodies.set(env, bodies);
  }
  return bodies;
}

/**
 * The body of `GET /api/v1/flags/`: every flag the audience may see (pre-serialised), or with
 * `?feature=` that one flag, 404 when the audience cannot see a flag of that name.
 */
export function flagsAnswer(env: PreparedEnvironment, audience: FlagAudience, feature: string | undefined): Buffer {
  if (feature === undefined) return environmentFlagsBody(env)[audience];
  const flag = env.compiled.environmentFlags.find((f) => f.featureName === feature && isVisible(env, f, audience));
  if (!flag) throw notFound(`Feature '${feature}' not found`);
  return flagBytes(env, flag);
}
