/** The deployed stacks: when each was created, and the physical ids of its resources. */
import { type CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { explainAwsError, explainedAs, LiveError } from './errors';
import { type RetryOptions, withRetry } from './retry';

export interface DeployedStack {
  readonly name: string;
  readonly region: string;
  readonly createdAt: Date;
  readonly outputs: Record<string, string>;
  /** Logical id → physical id. */
  readonly physicalIds: Map<string, string>;
}

export async function describeDeployedStack(
  client: CloudFormationClient,
  name: string,
  region: string,
  retry: RetryOptions = {},
): Promise<DeployedStack> {
  let stack;
  try {
    const described = await withRetry(() => client.send(new DescribeStacksCommand({ StackName: name })), retry);
    stack = described.Stacks?.[0];
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === 'ValidationError' && /does not exist/.test(e.message ?? '')) {
      throw new LiveError(`stack ${name} is not deployed in ${region} (deploy it with \`npx cdk deploy ${name}\`, or pass --region)`);
    }
    throw explainAwsError(error, `describing stack ${name} in ${region}`);
  }
  if (stack === undefined || stack.CreationTime === undefined) throw new LiveError(`stack ${name} is not deployed in ${region}`);
  if (stack.StackStatus?.endsWith('_FAILED') || stack.StackStatus === 'DELETE_COMPLETE') {
    throw new LiveError(`stack ${name} in ${region} is ${stack.StackStatus}: nothing to measure`);
  }
  const physicalIds = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await withRetry(() => client.send(new ListStackResourcesCommand({ StackName: name, NextToken: nextToken })), retry).catch(
      explainedAs(`listing the resources of ${name} in ${region}`),
    );
    for (const summary of page.StackResourceSummaries ?? []) {
      if (summary.LogicalResourceId && summary.PhysicalResourceId) physicalIds.set(summary.LogicalResourceId, summary.PhysicalResourceId);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const outputs = Object.fromEntries(
    (stack.Outputs ?? []).filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey as string, o.OutputValue as string]),
  );
  return { name, region, createdAt: stack.CreationTime, outputs, physicalIds };
}

/** The physical id of `logicalId`, or an error naming it. */
export function physicalId(stack: DeployedStack, logicalId: string, what: string): string {
  const id = stack.physicalIds.get(logicalId);
  if (id === undefined)
    throw new LiveError(`${what} (${logicalId}) is not in the deployed stack ${stack.name}: deploy the current templates`);
  return id;
}
