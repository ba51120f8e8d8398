/**
 * The edge function: Lambda function URL events (payload 2.0) in, SDK responses out. Built by
 * esbuild into dist/edge/handler.js. Everything is created once per cold start and kept while the
 * function is warm: the DynamoDB client and its connections, and the environments held in memory.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { parseOrigins, sdkCorsPolicy } from '../cors';
import { identityBoundsOf, traitLimitsOf } from '../shared-settings';
import { loadEdgeConfig } from './config';
import { EdgeEnvironments } from './environments';
import { jsonLineLog, type Log } from '../log';
import { EdgeSdkApi, type EdgeRequest } from './sdk-api';
import { EdgeTraitStore } from './traits';

export type FunctionUrlHandler = (
  event: LambdaFunctionURLEvent,
  context?: Pick<Context, 'awsRequestId'>,
) => Promise<LambdaFunctionURLResult>;

/** A handler over the given table client (tests pass one whose calls are mocked). */
export function createHandler(env: NodeJS.ProcessEnv, table: DynamoDBDocumentClient, log: Log = jsonLineLog()): FunctionUrlHandler {
  const config = loadEdgeConfig(env);
  const api = new EdgeSdkApi({
    environments: new EdgeEnvironments(table, { tableName: config.FLAGSTACK_EDGE_TABLE, refreshMs: config.FLAGSTACK_EDGE_REFRESH_MS }, log),
    traits: new EdgeTraitStore(
      table,
      { tableName: config.FLAGSTACK_EDGE_TABLE, ttlDays: config.FLAGSTACK_EDGE_TRAIT_TTL_DAYS, bounds: identityBoundsOf(config) },
      log,
    ),
    bodyLimit: config.FLAGSTACK_BODY_LIMIT,
    traitLimits: traitLimitsOf(config),
    cors: sdkCorsPolicy(parseOrigins(config.FLAGSTACK_CORS_ORIGINS)),
    log,
    region: env.AWS_REGION,
  });
  return async (event, context) => {
    const response = await api.handle(toRequest(event, context?.awsRequestId ?? event.requestContext.requestId));
    return { statusCode: response.statusCode, headers: response.headers, body: response.body, isBase64Encoded: false };
  };
}

export function toRequest(event: LambdaFunctionURLEvent, requestId: string): EdgeRequest {
  const body =
    event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.rawQueryString ?? '',
    headers: event.headers ?? {},
    body,
    requestId,
  };
}

let created: FunctionUrlHandler | undefined;

/** The Lambda entry point (`handler.handler`); the region is the function's own (AWS_REGION). */
export const handler: FunctionUrlHandler = (event, context) => {
  created ??= createHandler(process.env, DynamoDBDocumentClient.from(new DynamoDBClient({})));
  return created(event, context);
};
