/**
 * The edge stage's flag table (a DynamoDB global table): its item layout, written by the control plane's
 * publisher and read by the edge. One partition per item kind and id:
 *
 * | pk                          | sk         | holds                                                           |
 * | --------------------------- | ---------- | --------------------------------------------------------------- |
 * | `env#<id>`                  | `document` | the environment as the edge serves it (JSON, gzipped when large) |
 * | `env#<id>`                  | `head`     | its version and keys: the small item the edge revalidates with   |
 * | `key#<lookup id>`           | `key`      | which environment an SDK key reaches (server keys by hash)       |
 * | `environments`              | `env#<id>` | every published environment's version: the publisher's index     |
 * | `traits#<env>#<sha256(id)>` | `traits`   | an identity's traits, one `trait:<key>` attribute each (JSON)    |
 *
 * Versions are the environment's `updated_at` in microseconds; a write names its version and never
 * replaces a newer one. A deleted environment leaves tombstones of the greatest version, so no late
 * publish can bring it back; they expire through the table's TTL attribute.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { EnvironmentDocument } from '../schemas/environment-document';
import type { FeatureMetadata, LoadedEnvironment } from '../storage/environment-documents';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
/** The table's TTL attribute (epoch seconds). */
export const EXPIRES_AT = 'expiresAt';
/** Prefix of the attributes that hold an identity's traits. */
export const TRAIT_PREFIX = 'trait:';

/** The partition-key prefixes, for IAM conditions on `dynamodb:LeadingKeys`. */
export const KEY_PREFIXES = { environment: 'env#', sdkKey: 'key#', index: 'environments', traits: 'traits#' } as const;

export type TableKey = { pk: string; sk: string };
export const documentKey = (environmentId: number): TableKey => ({ pk: `${KEY_PREFIXES.environment}${environmentId}`, sk: 'document' });
export const headKey = (environmentId: number): TableKey => ({ pk: `${KEY_PREFIXES.environment}${environmentId}`, sk: 'head' });
export const sdkKeyKey = (lookupId: string): TableKey => ({ pk: `${KEY_PREFIXES.sdkKey}${lookupId}`, sk: 'key' });
export const indexKey = (environmentId: number): TableKey => ({ pk: KEY_PREFIXES.index, sk: `env#${environmentId}` });
export const indexEnvironmentId = (sk: string): number => Number(sk.slice('env#'.length));
/** Identifiers may be 2,000 characters of any script; hashed, every key fits DynamoDB's 2 KB. */
export const traitsKey = (environmentId: number, identifier: string): TableKey => ({
  pk: `${KEY_PREFIXES.traits}${environmentId}#${createHash('sha256').update(identifier).digest('hex')}`,
  sk: 'traits',
});

/** A deleted environment's version: greater than any real one. */
export const TOMBSTONE_VERSION = Number.MAX_SAFE_INTEGER;

/** The format of a document item's body; an edge refuses a format it does not know. */
export const DOCUMENT_FORMAT = 1;

/** Bodies above this are gzipped (JSON shrinks several-fold; writes and replication are billed per KB). */
export const COMPRESS_ABOVE_BYTES = 32 * 1024;
/** DynamoDB's item limit, less room for the other attributes. */
export const MAX_BODY_BYTES = 400 * 1024 - 1024;

export interface DocumentItem extends TableKey {
  version: number;
  format?: number;
  encoding?: 'json' | 'gzip';
  body?: string | Uint8Array;
  deleted?: boolean;
  expiresAt?: number;
}

export interface HeadItem extends TableKey {
  version: number;
  /** Lookup ids of the keys that reach the environment (client key, server-key hashes). */
  keys?: string[];
  deleted?: boolean;
  expiresAt?: number;
}

/** Which environment a key reaches (a server key is one that starts `ser.`; client keys cannot). */
export interface SdkKeyItem extends TableKey {
  environmentId: number;
}

/** What the edge needs of an environment: the loaded environment and the keys that reach it. */
export interface PublishedEnvironment extends LoadedEnvironment {
  /** Lookup ids (`keyLookupId`) of every key that reaches it. */
  keys: readonly string[];
}

interface DocumentBody {
  environmentId: number;
  version: number;
  updatedAt: string;
  keys: readonly string[];
  document: EnvironmentDocument;
  features: FeatureMetadata[];
}

export class ItemTooLargeError extends Error {
  constructor(
    readonly environmentId: number,
    readonly version: number,
    readonly bytes: number,
  ) {
    super(
      `environment ${environmentId}: its edge document is ${Math.ceil(bytes / 1024)} KB even gzipped; ` +
        `a DynamoDB item holds at most 400 KB (fewer identity overrides or segments would shrink it)`,
    );
  }
}

/** The document item of an environment; throws ItemTooLargeError when it cannot fit in one item. */
export function encodeDocument(environment: PublishedEnvironment): DocumentItem {
  const body: DocumentBody = {
    environmentId: environment.environmentId,
    version: environment.version,
    updatedAt: environment.updatedAt.toISOString(),
    keys: environment.keys,
    document: environment.document,
    features: [...environment.features.values()],
  };
  const json = JSON.stringify(body);
  const key = documentKey(environment.environmentId);
  if (Buffer.byteLength(json) <= COMPRESS_ABOVE_BYTES) {
    return { ...key, version: environment.version, format: DOCUMENT_FORMAT, encoding: 'json', body: json };
  }
  const gzipped = gzipSync(json);
  if (gzipped.byteLength > MAX_BODY_BYTES) throw new ItemTooLargeError(environment.environmentId, environment.version, gzipped.byteLength);
  return { ...key, version: environment.version, format: DOCUMENT_FORMAT, encoding: 'gzip', body: gzipped };
}

/** The environment a document item holds; undefined for a tombstone. */
export function decodeDocument(item: DocumentItem): PublishedEnvironment | undefined {
  if (item.deleted) return undefined;
  if (item.format !== DOCUMENT_FORMAT || item.body === undefined) {
    throw new Error(
      `document item ${item.pk}: format ${item.format} is not ${DOCUMENT_FORMAT}; deploy the edge that matches the publisher`,
    );
  }
  const json = item.encoding === 'gzip' ? gunzipSync(item.body).toString('utf8') : String(item.body);
  const body = JSON.parse(json) as DocumentBody;
  return {
    environmentId: body.environmentId,
    version: body.version,
    updatedAt: new Date(body.updatedAt),
    keys: body.keys,
    document: body.document,
    features: new Map(body.features.map((feature) => [feature.id, feature])),
  };
}
