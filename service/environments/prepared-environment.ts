/**
 * An environment ready to answer SDK requests: compiled once per change, with the parts of every
 * response that do not depend on the request (feature objects, the document) serialised once (the
 * answers in service/answers/ add what they build from it, such as the identity-less flag lists). The service builds it from the database, the edge from the flag table;
 * both from the same loaded environment.
 */
import { compileEnvironment, type CompiledEnvironment } from '../engine';
import type { FeatureMetadata, LoadedEnvironment } from '../storage/environment-documents';

export interface PreparedEnvironment {
  readonly environmentId: number;
  readonly compiled: CompiledEnvironment;
  /** `JSON.stringify` of each feature's object in Flagsmith flag responses, by feature id. */
  readonly featureJson: ReadonlyMap<number, string>;
  /** The environment document, encoded once. */
  readonly documentBody: Buffer;
  readonly updatedAt: Date;
  /** `updated_at` in microseconds: what the periodic check compares (two writes may share a millisecond). */
  readonly version: number;
}

export function prepareEnvironment(loaded: LoadedEnvironment): PreparedEnvironment {
  const compiled = compileEnvironment(loaded.document);
  const featureJson = new Map<number, string>();
  for (const feature of loaded.features.values()) featureJson.set(feature.id, featureObjectJson(feature));
  return {
    environmentId: loaded.environmentId,
    compiled,
    featureJson,
    documentBody: Buffer.from(JSON.stringify(loaded.document)),
    updatedAt: loaded.updatedAt,
    version: loaded.version,
  };
}

/** The `X-Flagsmith-Document-Updated-At` header: seconds since the epoch, six decimals. */
export const documentUpdatedAtHeader = (env: PreparedEnvironment): string => (env.updatedAt.getTime() / 1000).toFixed(6);

function featureObjectJson(feature: FeatureMetadata): string {
  return JSON.stringify({
    id: feature.id,
    name: feature.name,
    created_date: feature.createdDate,
    description: feature.description,
    initial_value: feature.initialValue,
    default_enabled: feature.defaultEnabled,
    type: feature.type,
  });
}
