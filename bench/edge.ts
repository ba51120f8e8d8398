/**
 * The edge function in process: its Lambda handler (service/edge/handler.ts) over an in-memory flag
 * table holding the bench's environment (test/edge/fake-table.ts, whose aws-sdk-client-mock answers
 * the DynamoDB document client's calls; reads bypass it, see `directReads`), invoked with function
 * URL events one at a time, as a Lambda instance takes them. Flag-list and identity invocations
 * alternate in turns after a warm-up, and each turn gives the CPU time per invocation (the process's,
 * user + system: what the handler costs, however busy the machine is; GC and the compiler's threads
 * included, as they run on the function's CPU too).
 *
 * DynamoDB is mocked: the figures hold the handler's own work, not the round trip to the table, nor
 * the AWS SDK's marshalling, signing and HTTP around it (a copy of the item read stands in for those).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createHandler, type FunctionUrlHandler } from '../service/edge/handler';
import { silentLog } from '../service/log';
import { FakeTable } from '../test/edge/fake-table';
import { publish, TABLE } from '../test/edge/support';
import template from '../test/edge/function-url-event.json';
import { spreadOf, type Spread } from './turns';
import { benchmarkDocument, traitList } from './workload';

/** Distinct returning identities the identity invocations cycle through. */
const IDENTITIES = 1_000;

export interface EdgeResult {
  /** CPU time per flag-list invocation (GET /api/v1/flags/), ms: the median over the turns and its range. */
  flagsMs: Spread;
  /**
   * CPU time per identity invocation (POST /api/v1/identities/ with 3 traits), ms. The identity is a
   * returning one resending its stored traits, as SDKs mostly do: one trait read, no write.
   */
  identityMs: Spread;
  invocations: { flags: number; identity: number };
  turns: number;
  /** CPU time each kind of invocation runs for in a turn, ms. */
  turnMs: number;
  dynamoDb: string;
}

export async function benchmarkEdge({ turns, turnMs, warmupMs }: { turns: number; turnMs: number; warmupMs: number }): Promise<EdgeResult> {
  const clientKey = 'bench_edge_key';
  const table = new FakeTable();
  try {
    await publish(table, benchmarkDocument(clientKey));
    const handler = createHandler({ FLAGSTACK_EDGE_TABLE: TABLE }, directReads(table), silentLog);
    const event = (method: string, rawPath: string, body?: string): LambdaFunctionURLEvent => ({
      ...(template as LambdaFunctionURLEvent),
      rawPath,
      headers: { ...template.headers, 'x-environment-key': clientKey },
      body,
      requestContext: { ...template.requestContext, http: { ...template.requestContext.http, method, path: rawPath } },
    });
    const flagsEvent = event('GET', '/api/v1/flags/');
    const identityEvents = Array.from({ length: IDENTITIES }, (_, n) =>
      event('POST', '/api/v1/identities/', JSON.stringify({ identifier: `user-${n}`, traits: traitList(n) })),
    );
    let next = 0;
    const invoke = {
      flags: () => handler(flagsEvent),
      identity: () => handler(identityEvents[next++ % IDENTITIES]),
    };
    // The first pass stores every identity's traits; from then on each invocation reads them back unchanged.
    for (let n = 0; n < IDENTITIES; n++) await expectOk(invoke.identity(), 'identity');
    const counts = { flags: 0, identity: 0 };
    /** Invokes `kind` for `ms` of CPU time; resolves with the CPU time per invocation, ms. */
    const run = async (kind: keyof typeof invoke, ms: number): Promise<number> => {
      const started = process.cpuUsage();
      const used = () => {
        const { user, system } = process.cpuUsage(started);
        return (user + system) / 1000;
      };
      let invocations = 0;
      do {
        for (let i = 0; i < 100; i++) await expectOk(invoke[kind](), kind);
        invocations += 100;
      } while (used() < ms);
      counts[kind] += invocations;
      return used() / invocations;
    };
    if (warmupMs > 0) for (const kind of ['flags', 'identity'] as const) await run(kind, warmupMs);
    counts.flags = counts.identity = 0;
    const measured = { flags: [] as number[], identity: [] as number[] };
    for (let turn = 0; turn < turns; turn++) {
      measured.flags.push(await run('flags', turnMs));
      measured.identity.push(await run('identity', turnMs));
    }
    return {
      flagsMs: spreadOf(measured.flags),
      identityMs: spreadOf(measured.identity),
      invocations: counts,
      turns,
      turnMs,
      dynamoDb: 'mocked (aws-sdk-client-mock, in memory): no round trip, no SDK marshalling, signing or HTTP',
    };
  } finally {
    table.restore();
  }
}

/**
 * A client that answers reads straight from the fake table's items, and sends anything else through its
 * mock. Reads are all the measured invocations send, and each costs about 65 µs through the mock (sinon
 * matches every call's input against the mock's handlers): more than the handler's own work.
 */
function directReads(table: FakeTable): DynamoDBDocumentClient {
  const send = (command: object) =>
    command instanceof GetCommand
      ? Promise.resolve({ Item: structuredClone(table.item(command.input.Key!.pk as string, command.input.Key!.sk as string)) })
      : table.client.send(command as never);
  return { send } as unknown as DynamoDBDocumentClient;
}

async function expectOk(invocation: ReturnType<FunctionUrlHandler>, kind: string): Promise<void> {
  // The handler answers with a structured result, never a bare string.
  const { statusCode, body } = (await invocation) as APIGatewayProxyStructuredResultV2;
  if (statusCode !== 200) throw new Error(`edge ${kind} invocation: ${statusCode} ${body}`);
}
