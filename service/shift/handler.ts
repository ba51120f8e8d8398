/**
 * The traffic-share Lambda of a split between two CloudFront stages (lib/constructs/traffic-split.ts):
 * it writes the share, the percentage of SDK requests the previous stage's distribution sends on to
 * the next stage, into the CloudFront KeyValueStore its router function reads at every request. Two
 * callers:
 *
 * | event | from | what it does |
 * |-------|------|--------------|
 * | CloudFormation custom resource, Create or Update | `cdk deploy -c shiftShare=10` | puts `Share` (0, 1, 10, 50, 100), answers CloudFormation |
 * | CloudFormation custom resource, Delete | removing the split | nothing (the store goes with it), answers SUCCESS |
 * | CloudWatch alarm action, state ALARM | the next stage's `ShiftAlarm` | puts 0: every request back to the previous stage |
 * | CloudWatch alarm action, another state | the alarm clearing | nothing: a rollback stays until a deploy or an operator raises the share |
 *
 * Putting a key needs the store's current ETag (IfMatch); a put that loses a race with another writer
 * (ConflictException) is retried with the new ETag. A share already in the store is not put again, so a
 * repeated alarm or deploy changes nothing. The KeyValueStore API signs with SigV4A: the pure-JS signer
 * is registered by importing @aws-sdk/signature-v4a.
 */
import '@aws-sdk/signature-v4a';
import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  PutKeyCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { CloudFormationCustomResourceEvent, CloudWatchAlarmEvent } from 'aws-lambda';

/** The key the router reads. */
export const SHARE_KEY = 'share';
/** The shares a split moves through, percent of SDK requests. */
export const SHARES = ['0', '1', '10', '50', '100'] as const;
/** The environment variable naming the store the alarm's rollback writes to. */
export const STORE_ARN_VARIABLE = 'FLAGSTACK_SHIFT_STORE_ARN';
/** How many times a put is tried when another writer changed the store in between. */
export const PUT_ATTEMPTS = 3;

/** What a put did: wrote the share, or found it there already. */
export type PutOutcome = 'put' | 'unchanged';

/** The share of the store at `kvsArn`, undefined while the key is not there. */
export async function readShare(client: CloudFrontKeyValueStoreClient, kvsArn: string): Promise<string | undefined> {
  try {
    return (await client.send(new GetKeyCommand({ KvsARN: kvsArn, Key: SHARE_KEY }))).Value;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/**
 * Puts `share` into the store, unless it holds it already: the store's ETag from DescribeKeyValueStore
 * as IfMatch, retried on a conflict (another writer in between) up to PUT_ATTEMPTS times.
 */
export async function putShare(client: CloudFrontKeyValueStoreClient, kvsArn: string, share: string): Promise<PutOutcome> {
  if (!(SHARES as readonly string[]).includes(share)) throw new Error(`share "${share}" must be one of ${SHARES.join(', ')}`);
  for (let attempt = 1; ; attempt++) {
    if ((await readShare(client, kvsArn)) === share) return 'unchanged';
    const { ETag } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: kvsArn }));
    if (ETag === undefined) throw new Error(`the store ${kvsArn} gave no ETag`);
    try {
      await client.send(new PutKeyCommand({ KvsARN: kvsArn, Key: SHARE_KEY, Value: share, IfMatch: ETag }));
      return 'put';
    } catch (error) {
      if (!(error instanceof ConflictException) || attempt >= PUT_ATTEMPTS) throw error;
    }
  }
}

/** What the handler needs from outside: the store's client, CloudFormation's response URL, the environment. */
export interface ShiftHandlerDeps {
  readonly client: CloudFrontKeyValueStoreClient;
  /** PUTs a custom resource's response to its pre-signed URL. */
  readonly respond: (url: string, body: string) => Promise<void>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: (message: string, details: Record<string, unknown>) => void;
}

type ShiftEvent = CloudFormationCustomResourceEvent | CloudWatchAlarmEvent;

const isAlarm = (event: ShiftEvent): event is CloudWatchAlarmEvent => 'alarmData' in event;

/** The custom resource's physical id: one share per store, whatever the share. */
export const physicalIdOf = (kvsArn: string) => `${kvsArn}#${SHARE_KEY}`;

export function createHandler(deps: ShiftHandlerDeps) {
  return async (event: ShiftEvent): Promise<{ share?: string; outcome?: PutOutcome | 'ignored' }> => {
    if (isAlarm(event)) {
      const state = event.alarmData.state.value;
      if (state !== 'ALARM') {
        deps.log('alarm state change ignored: a rollback stays until the share is raised again', { alarm: event.alarmArn, state });
        return { outcome: 'ignored' };
      }
      const kvsArn = deps.env[STORE_ARN_VARIABLE];
      if (kvsArn === undefined || kvsArn === '') throw new Error(`${STORE_ARN_VARIABLE} is not set`);
      const outcome = await putShare(deps.client, kvsArn, '0');
      deps.log('rolled back: share 0', { alarm: event.alarmArn, reason: event.alarmData.state.reason, outcome });
      return { share: '0', outcome };
    }

    const properties = event.ResourceProperties as unknown as { KvsArn?: string; Share?: string };
    const kvsArn = properties.KvsArn ?? '';
    const answer = async (status: 'SUCCESS' | 'FAILED', reason?: string, data?: Record<string, string>) =>
      deps.respond(
        event.ResponseURL,
        JSON.stringify({
          Status: status,
          Reason: reason ?? `share ${properties.Share ?? '?'}`,
          PhysicalResourceId: event.RequestType === 'Create' ? physicalIdOf(kvsArn) : event.PhysicalResourceId,
          StackId: event.StackId,
          RequestId: event.RequestId,
          LogicalResourceId: event.LogicalResourceId,
          Data: data,
        }),
      );
    if (event.RequestType === 'Delete') {
      await answer('SUCCESS', 'nothing to do: the store is removed with the split');
      return { outcome: 'ignored' };
    }
    try {
      const share = properties.Share ?? '';
      const outcome = await putShare(deps.client, kvsArn, share);
      deps.log(`share ${share}`, { kvsArn, outcome, requestType: event.RequestType });
      await answer('SUCCESS', `share ${share}: ${outcome}`, { Share: share });
      return { share, outcome };
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      deps.log('failed', { kvsArn, reason });
      await answer('FAILED', reason.slice(0, 1000));
      return { outcome: 'ignored' };
    }
  };
}

/** CloudFormation's pre-signed S3 URL takes a PUT with no content type. */
async function respondToCloudFormation(url: string, body: string): Promise<void> {
  const response = await fetch(url, {
    method: 'PUT',
    body,
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
  });
  if (!response.ok) throw new Error(`CloudFormation's response URL answered ${response.status}`);
}

let lazy: ReturnType<typeof createHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: ShiftEvent) => {
  lazy ??= createHandler({
    client: new CloudFrontKeyValueStoreClient({}),
    respond: respondToCloudFormation,
    env: process.env,
    log: (message, details) => console.log(JSON.stringify({ message, ...details })),
  });
  return lazy(event);
};
