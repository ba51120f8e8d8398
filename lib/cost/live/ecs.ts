/** What an ECS service runs: the task size of its task definition, and its running task count at this moment. */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { explainedAs, LiveError } from './errors';
import { type RetryOptions, withRetry } from './retry';

export interface RunningService {
  readonly runningCount: number;
  readonly desiredCount: number;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly architecture: 'arm64' | 'x86_64';
  readonly taskDefinition: string;
}

export async function describeRunningService(
  client: ECSClient,
  cluster: string,
  service: string,
  retry: RetryOptions = {},
): Promise<RunningService> {
  const described = await withRetry(() => client.send(new DescribeServicesCommand({ cluster, services: [service] })), retry).catch(
    explainedAs(`describing ECS service ${service}`),
  );
  const failure = described.failures?.[0];
  const found = described.services?.[0];
  if (found === undefined || failure !== undefined) {
    throw new LiveError(`ECS service ${service} in cluster ${cluster} was not found${failure?.reason ? ` (${failure.reason})` : ''}`);
  }
  if (found.taskDefinition === undefined) throw new LiveError(`ECS service ${service} has no task definition`);
  const taskDefinition = found.taskDefinition;
  const definition = await withRetry(() => client.send(new DescribeTaskDefinitionCommand({ taskDefinition })), retry).catch(
    explainedAs(`describing task definition ${taskDefinition}`),
  );
  const task = definition.taskDefinition;
  const cpu = Number(task?.cpu);
  const memoryMiB = Number(task?.memory);
  if (!(cpu > 0) || !(memoryMiB > 0))
    throw new LiveError(`task definition ${taskDefinition} has no task-level cpu and memory (not a Fargate task?)`);
  return {
    runningCount: found.runningCount ?? 0,
    desiredCount: found.desiredCount ?? 0,
    cpu,
    memoryMiB,
    architecture: task?.runtimePlatform?.cpuArchitecture === 'ARM64' ? 'arm64' : 'x86_64',
    taskDefinition,
  };
}
