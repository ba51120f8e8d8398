/**
 * An in-memory DynamoDB table behind aws-sdk-client-mock: every DynamoDBDocumentClient's `send` is
 * answered here. It keeps items by (pk, sk) and evaluates the expressions the publisher and the edge
 * send (conditions with comparisons and attribute_[not_]exists joined by AND/OR; SET and REMOVE
 * updates; key-condition queries), with DynamoDB's conditional failures, its 400 KB item limit and
 * copies in and out (so nothing shares objects with the caller). Failures can be injected per command.
 */
import { ConditionalCheckFailedException, DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;
type CommandName = 'Get' | 'Put' | 'Update' | 'Delete' | 'Query';

const MAX_ITEM_BYTES = 400 * 1024;

export class FakeTable {
  readonly items = new Map<string, Item>();
  readonly mock = mockClient(DynamoDBDocumentClient);
  private readonly failures: Array<{ command: CommandName; error: Error; times: number; after: number }> = [];

  constructor() {
    this.mock.on(GetCommand).callsFake((input) => this.run('Get', () => this.get(input)));
    this.mock.on(PutCommand).callsFake((input) => this.run('Put', () => this.put(input)));
    this.mock.on(UpdateCommand).callsFake((input) => this.run('Update', () => this.update(input)));
    this.mock.on(DeleteCommand).callsFake((input) => this.run('Delete', () => this.delete(input)));
    this.mock.on(QueryCommand).callsFake((input) => this.run('Query', () => this.query(input)));
  }

  /** A client to hand to the code under test (every instance is answered here). */
  readonly client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

  /** Makes `times` calls of a command fail with `error`, after letting `after` more succeed. */
  failNext(command: CommandName, error: Error, times = 1, after = 0): void {
    this.failures.push({ command, error, times, after });
  }

  /** Restores the mocked client. */
  restore(): void {
    this.mock.restore();
  }

  item(pk: string, sk: string): Item | undefined {
    return this.items.get(`${pk}\u0000${sk}`);
  }

  /** Calls of one command so far. */
  calls(command: CommandName): number {
    const classes = { Get: GetCommand, Put: PutCommand, Update: UpdateCommand, Delete: DeleteCommand, Query: QueryCommand };
    return this.mock.commandCalls(classes[command] as never).length;
  }

  private async run<T>(command: CommandName, work: () => T): Promise<T> {
    const failure = this.failures.find((f) => f.command === command && f.times > 0);
    if (failure && failure.after-- <= 0) {
      failure.times--;
      throw failure.error;
    }
    return work();
  }

  private get({ Key }: { Key?: Item }) {
    const item = this.items.get(keyOf(Key!));
    return { Item: item && copy(item) };
  }

  private put({
    Item,
    ConditionExpression,
    ExpressionAttributeNames,
    ExpressionAttributeValues,
    ReturnValues,
  }: {
    Item?: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ReturnValues?: string;
  }) {
    const key = keyOf(Item!);
    const previous = this.items.get(key);
    this.check(previous, ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues);
    if (sizeOf(Item!) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
    this.items.set(key, copy(Item!));
    return { Attributes: ReturnValues === 'ALL_OLD' && previous ? copy(previous) : undefined };
  }

  private update({
    Key,
    UpdateExpression,
    ConditionExpression,
    ExpressionAttributeNames,
    ExpressionAttributeValues,
    ReturnValues,
  }: {
    Key?: Item;
    UpdateExpression?: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ReturnValues?: string;
  }) {
    const key = keyOf(Key!);
    const previous = this.items.get(key);
    this.check(previous, ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues);
    const next: Item = { ...(previous ?? {}), ...Key };
    const [, setPart = '', removePart = ''] = /^SET (.*?)(?: REMOVE (.*))?$/.exec(UpdateExpression!) ?? [];
    for (const assignment of setPart
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean)) {
      const [name, value] = assignment.split('=').map((p) => p.trim());
      next[resolveName(name, ExpressionAttributeNames)] = ExpressionAttributeValues![value];
    }
    for (const name of removePart
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean))
      delete next[resolveName(name, ExpressionAttributeNames)];
    if (sizeOf(next) > MAX_ITEM_BYTES) throw validation('Item size to update has exceeded the maximum allowed size');
    this.items.set(key, copy(next));
    return { Attributes: ReturnValues === 'ALL_NEW' ? copy(next) : undefined };
  }

  private delete({
    Key,
    ConditionExpression,
    ExpressionAttributeNames,
    ExpressionAttributeValues,
  }: {
    Key?: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
  }) {
    const key = keyOf(Key!);
    this.check(this.items.get(key), ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues);
    this.items.delete(key);
    return {};
  }

  private query({
    KeyConditionExpression,
    ExpressionAttributeNames,
    ExpressionAttributeValues,
    ProjectionExpression,
  }: {
    KeyConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ProjectionExpression?: string;
  }) {
    const [name, value] = KeyConditionExpression!.split('=').map((p) => p.trim());
    const attribute = resolveName(name, ExpressionAttributeNames);
    const wanted = ExpressionAttributeValues![value];
    const projection = ProjectionExpression?.split(',').map((p) => resolveName(p.trim(), ExpressionAttributeNames));
    const items = [...this.items.values()]
      .filter((item) => item[attribute] === wanted)
      .map((item) => (projection ? Object.fromEntries(projection.filter((p) => p in item).map((p) => [p, item[p]])) : copy(item)));
    return { Items: items };
  }

  private check(item: Item | undefined, condition: string | undefined, names: Names, values: Values): void {
    if (condition === undefined) return;
    const holds = condition.split(' OR ').some((any) => any.split(' AND ').every((term) => evaluate(term.trim(), item, names, values)));
    if (!holds) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  }
}

function evaluate(term: string, item: Item | undefined, names: Names, values: Values): boolean {
  const exists = /^attribute_(not_)?exists\((#?\w+)\)$/.exec(term);
  if (exists) {
    const present = item !== undefined && resolveName(exists[2], names) in item;
    return exists[1] ? !present : present;
  }
  const comparison = /^(#?\w+) (<=|>=|<>|=|<|>) (:\w+)$/.exec(term);
  if (!comparison) throw new Error(`fake table: unsupported condition "${term}"`);
  if (item === undefined) return false;
  const left = item[resolveName(comparison[1], names)] as number;
  const right = values![comparison[3]] as number;
  if (left === undefined) return false;
  switch (comparison[2]) {
    case '=':
      return left === right;
    case '<>':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    default:
      return left >= right;
  }
}

const resolveName = (name: string, names: Names): string => (name.startsWith('#') ? names![name] : name);
const keyOf = (item: Item): string => `${item.pk}\u0000${item.sk}`;
// structuredClone turns Buffers into plain Uint8Arrays, as the real client returns binary attributes.
const copy = (item: Item): Item => structuredClone(item);
const sizeOf = (item: Item): number =>
  Object.entries(item).reduce(
    (sum, [name, value]) => sum + name.length + (value instanceof Uint8Array ? value.byteLength : Buffer.byteLength(JSON.stringify(value))),
    0,
  );
const validation = (message: string) =>
  new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message, $metadata: {} });

export const throttled = () =>
  new DynamoDBServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });
export const serverError = () =>
  new DynamoDBServiceException({
    name: 'InternalServerError',
    $fault: 'server',
    message: 'Internal error',
    $metadata: { httpStatusCode: 500 },
  });
