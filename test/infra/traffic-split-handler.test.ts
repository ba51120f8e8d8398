/**
 * The traffic-share Lambda (service/shift/handler.ts) against a KeyValueStore behind
 * aws-sdk-client-mock: puts with the store's ETag as IfMatch, nothing put when the share is there
 * already, a conflict retried with the new ETag, CloudFormation's custom resource events answered
 * (SUCCESS, FAILED with the reason), the alarm's ALARM putting 0 and its other states ignored.
 */
import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  PutKeyCommand,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { CloudFormationCustomResourceEvent, CloudWatchAlarmEvent } from 'aws-lambda';
import { Readable } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler, physicalIdOf, PUT_ATTEMPTS, putShare, SHARE_KEY, STORE_ARN_VARIABLE } from '../../service/shift/handler';

const KVS = 'arn:aws:cloudfront::123456789012:key-value-store/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';

const mocks: { restore(): void }[] = [];

/** A store of one key, `share`, with an ETag that changes at every put. */
function fakeStore(initial?: string) {
  const mock = mockClient(CloudFrontKeyValueStoreClient);
  mocks.push(mock);
  const state = { value: initial, version: 1 };
  const etag = () => `ETAG${state.version}`;
  mock.on(GetKeyCommand).callsFake(() => {
    if (state.value === undefined) throw new ResourceNotFoundException({ message: 'key not found', $metadata: {} });
    return { Key: SHARE_KEY, Value: state.value, ItemCount: 1, TotalSizeInBytes: 10 };
  });
  mock.on(DescribeKeyValueStoreCommand).callsFake(() => ({ KvsARN: KVS, ETag: etag(), ItemCount: 1, TotalSizeInBytes: 10 }));
  mock.on(PutKeyCommand).callsFake((input: { Value: string; IfMatch: string }) => {
    if (input.IfMatch !== etag()) throw new ConflictException({ message: 'ETag mismatch', $metadata: {} });
    state.value = input.Value;
    state.version++;
    return { ETag: etag(), ItemCount: 1, TotalSizeInBytes: 10 };
  });
  return { mock, state, client: new CloudFrontKeyValueStoreClient({ region: 'us-east-1' }) };
}

const puts = (mock: ReturnType<typeof fakeStore>['mock']) => mock.commandCalls(PutKeyCommand).map((call) => call.args[0].input);

afterEach(() => {
  for (const mock of mocks.splice(0)) mock.restore();
});

describe('putShare', () => {
  it("puts the share with the store's ETag as IfMatch", async () => {
    const { mock, state, client } = fakeStore('0');
    await expect(putShare(client, KVS, '10')).resolves.toBe('put');
    expect(puts(mock)).toEqual([{ KvsARN: KVS, Key: SHARE_KEY, Value: '10', IfMatch: 'ETAG1' }]);
    expect(state.value).toBe('10');
  });

  it('creates the key in a new, empty store', async () => {
    const { state, client } = fakeStore(undefined);
    await expect(putShare(client, KVS, '1')).resolves.toBe('put');
    expect(state.value).toBe('1');
  });

  it('is idempotent: a share already there is not put again', async () => {
    const { mock, client } = fakeStore('50');
    await expect(putShare(client, KVS, '50')).resolves.toBe('unchanged');
    expect(puts(mock)).toEqual([]);
    expect(mock.commandCalls(DescribeKeyValueStoreCommand)).toHaveLength(0);
  });

  it('retries with the new ETag when another writer changed the store in between', async () => {
    const { mock, state, client } = fakeStore('10');
    // Another writer puts between our describe and our put, once.
    let raced = false;
    mock.on(DescribeKeyValueStoreCommand).callsFake(() => {
      const answer = { KvsARN: KVS, ETag: `ETAG${state.version}` };
      if (!raced) {
        raced = true;
        state.version++;
      }
      return answer;
    });
    await expect(putShare(client, KVS, '0')).resolves.toBe('put');
    expect(puts(mock).map((put) => put.IfMatch)).toEqual(['ETAG1', 'ETAG2']);
    expect(state.value).toBe('0');
  });

  it(`gives up after ${PUT_ATTEMPTS} conflicts`, async () => {
    const { mock, client } = fakeStore('10');
    mock.on(PutKeyCommand).rejects(new ConflictException({ message: 'ETag mismatch', $metadata: {} }));
    await expect(putShare(client, KVS, '0')).rejects.toThrow('ETag mismatch');
    expect(puts(mock)).toHaveLength(PUT_ATTEMPTS);
  });

  it('does not retry other errors', async () => {
    const { mock, client } = fakeStore('10');
    mock.on(PutKeyCommand).rejects(new ValidationException({ message: 'bad value', $metadata: {} }));
    await expect(putShare(client, KVS, '50')).rejects.toThrow('bad value');
    expect(puts(mock)).toHaveLength(1);
  });

  it.each(['5', '', '10%', '100 '])('refuses share %j before calling the store', async (share) => {
    const { mock, client } = fakeStore('0');
    await expect(putShare(client, KVS, share)).rejects.toThrow(`share "${share}" must be one of 0, 1, 10, 50, 100`);
    expect(mock.calls()).toHaveLength(0);
  });
});

describe('the handler', () => {
  const setUp = (initial?: string) => {
    const store = fakeStore(initial);
    const responses: Record<string, unknown>[] = [];
    const logs: string[] = [];
    const handler = createHandler({
      client: store.client,
      respond: async (url, body) => {
        expect(url).toBe('https://cloudformation-custom-resource-response.s3.amazonaws.com/signed');
        responses.push(JSON.parse(body) as Record<string, unknown>);
      },
      env: { [STORE_ARN_VARIABLE]: KVS },
      log: (message) => logs.push(message),
    });
    return { ...store, handler, responses, logs };
  };

  const resourceEvent = (requestType: 'Create' | 'Update' | 'Delete', share: string): CloudFormationCustomResourceEvent =>
    ({
      RequestType: requestType,
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:share',
      ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/signed',
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Flagstack-Autoscaled/1',
      RequestId: 'request-1',
      LogicalResourceId: 'TrafficSplitShareValue',
      ResourceType: 'Custom::TrafficShare',
      ResourceProperties: { ServiceToken: 'x', KvsArn: KVS, Share: share },
      ...(requestType === 'Create' ? {} : { PhysicalResourceId: physicalIdOf(KVS), OldResourceProperties: { KvsArn: KVS, Share: '1' } }),
    }) as CloudFormationCustomResourceEvent;

  const alarmEvent = (state: string): CloudWatchAlarmEvent => ({
    source: 'aws.cloudwatch',
    alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ShiftAlarm',
    accountId: '123456789012',
    time: '2026-12-05T22:00:00.000+0000',
    region: 'us-east-1',
    alarmData: {
      alarmName: 'ShiftAlarm',
      state: { value: state, reason: 'Threshold Crossed', timestamp: '2026-12-05T22:00:00.000+0000' },
      previousState: { value: 'OK', reason: '', timestamp: '2026-12-05T21:00:00.000+0000' },
      configuration: { metrics: [] },
    },
  });

  it.each([
    ['Create', '0'],
    ['Create', '1'],
    ['Update', '10'],
    ['Update', '50'],
    ['Update', '100'],
  ] as const)('%s with share %s puts it and answers SUCCESS', async (requestType, share) => {
    const { handler, responses, state } = setUp(requestType === 'Create' ? undefined : '1');
    await expect(handler(resourceEvent(requestType, share))).resolves.toMatchObject({ share });
    expect(state.value).toBe(share);
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: physicalIdOf(KVS),
        StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Flagstack-Autoscaled/1',
        RequestId: 'request-1',
        LogicalResourceId: 'TrafficSplitShareValue',
        Data: { Share: share },
      }),
    ]);
  });

  it('answers FAILED with the reason when the store refuses, so the deployment stops', async () => {
    const { handler, responses, mock } = setUp('1');
    mock.on(PutKeyCommand).rejects(new ValidationException({ message: 'store is not ready', $metadata: {} }));
    await handler(resourceEvent('Update', '10'));
    expect(responses).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: 'ValidationException: store is not ready' })]);
  });

  it('answers FAILED for a share the stack should never hold', async () => {
    const { handler, responses, mock } = setUp('1');
    await handler(resourceEvent('Update', '25'));
    expect(responses).toEqual([
      expect.objectContaining({ Status: 'FAILED', Reason: 'Error: share "25" must be one of 0, 1, 10, 50, 100' }),
    ]);
    expect(mock.commandCalls(PutKeyCommand)).toHaveLength(0);
  });

  it('on Delete touches nothing (the store goes with the split) and answers SUCCESS', async () => {
    const { handler, responses, mock } = setUp('10');
    await handler(resourceEvent('Delete', '10'));
    expect(mock.calls()).toHaveLength(0);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: physicalIdOf(KVS) })]);
  });

  it('on the alarm going to ALARM puts 0: every request back to the previous stage', async () => {
    const { handler, state, mock, responses } = setUp('50');
    await expect(handler(alarmEvent('ALARM'))).resolves.toEqual({ share: '0', outcome: 'put' });
    expect(state.value).toBe('0');
    expect(puts(mock)).toEqual([{ KvsARN: KVS, Key: SHARE_KEY, Value: '0', IfMatch: 'ETAG1' }]);
    expect(responses).toEqual([]); // no CloudFormation here
    // Again (the alarm re-notifying): nothing more is put.
    await expect(handler(alarmEvent('ALARM'))).resolves.toEqual({ share: '0', outcome: 'unchanged' });
    expect(puts(mock)).toHaveLength(1);
  });

  it.each(['OK', 'INSUFFICIENT_DATA'])('on the alarm going to %s leaves the share as it is (a rollback stays)', async (alarmState) => {
    const { handler, state, mock } = setUp('0');
    await expect(handler(alarmEvent(alarmState))).resolves.toEqual({ outcome: 'ignored' });
    expect(state.value).toBe('0');
    expect(mock.calls()).toHaveLength(0);
  });

  it('fails loudly on ALARM when the store is unknown, and when the store refuses (CloudWatch retries the action)', async () => {
    const store = fakeStore('10');
    const noStore = createHandler({ client: store.client, respond: async () => undefined, env: {}, log: () => undefined });
    await expect(noStore(alarmEvent('ALARM'))).rejects.toThrow(`${STORE_ARN_VARIABLE} is not set`);
    const { handler, mock } = setUp('10');
    mock.on(DescribeKeyValueStoreCommand).rejects(new ResourceNotFoundException({ message: 'no such store', $metadata: {} }));
    await expect(handler(alarmEvent('ALARM'))).rejects.toThrow('no such store');
  });

  it('signs with SigV4A, which the KeyValueStore API requires, through the pure-JS signer it registers', async () => {
    /** What the signer leaves on a request, and a response the SDK reads (HttpResponse is duck-typed). */
    interface SentRequest {
      readonly hostname: string;
      readonly headers: Record<string, string>;
    }
    const sent: SentRequest[] = [];
    const client = new CloudFrontKeyValueStoreClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      requestHandler: {
        handle: async (request: SentRequest) => {
          sent.push(request);
          const body = JSON.stringify({ KvsARN: KVS, ItemCount: 1, TotalSizeInBytes: 10 });
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'application/json', etag: 'ETAG7' },
              body: Readable.from([Buffer.from(body)]),
            },
          };
        },
      },
    });
    await expect(client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS }))).resolves.toMatchObject({ ETag: 'ETAG7' });
    expect(sent).toHaveLength(1);
    // The account's global endpoint, signed for every region.
    expect(sent[0].hostname).toBe('123456789012.cloudfront-kvs.global.api.aws');
    expect(sent[0].headers.authorization).toMatch(/^AWS4-ECDSA-P256-SHA256 /);
    expect(sent[0].headers['x-amz-region-set']).toBe('*');
  });
});
