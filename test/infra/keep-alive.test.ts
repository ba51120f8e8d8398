// The service must keep an idle connection open longer than the proxy in front of it (an ALB, Caddy):
// otherwise the proxy can send a request on a connection the service is closing, and answers 502.
import type { TSchema } from '@sinclair/typebox';
import { Template } from 'aws-cdk-lib/assertions';
import { ConfigSchema } from '../../service/config';
import { buildApp } from './app';

/** The ALB's default idle timeout, when the template sets none. */
const ALB_DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
const { stacks } = buildApp();

/** The idle timeout of the stack's one load balancer, in milliseconds. */
function albIdleTimeoutMs(template: Template): number {
  const balancers = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
  expect(balancers).toHaveLength(1);
  const attributes: { Key: string; Value: string }[] = balancers[0].Properties.LoadBalancerAttributes ?? [];
  const idle = attributes.find((attribute) => attribute.Key === 'idle_timeout.timeout_seconds');
  return 1000 * (idle === undefined ? ALB_DEFAULT_IDLE_TIMEOUT_SECONDS : Number(idle.Value));
}

/** FLAGSTACK_KEEP_ALIVE_TIMEOUT_MS as the stack sets it (text of its container environment or user data), else the service's default. */
function serviceKeepAliveMs(configuration: string): number {
  const set = /FLAGSTACK_KEEP_ALIVE_TIMEOUT_MS(?:=|","Value":")([0-9]+)/.exec(configuration);
  if (set !== null) return Number(set[1]);
  const setting: TSchema | undefined = (ConfigSchema.properties as Record<string, TSchema>).FLAGSTACK_KEEP_ALIVE_TIMEOUT_MS;
  if (typeof setting?.default !== 'number') throw new Error('service/config.ts has no FLAGSTACK_KEEP_ALIVE_TIMEOUT_MS default');
  return setting.default;
}

describe('keep-alive behind the load balancers and Caddy', () => {
  it.each([
    ['Flagstack-Autoscaled', () => Template.fromStack(stacks.autoscaled), 'AWS::EC2::LaunchTemplate'],
    ['Flagstack-Fargate', () => Template.fromStack(stacks.fargate), 'AWS::ECS::TaskDefinition'],
  ])("%s: the service's keep-alive timeout exceeds the ALB's idle timeout", (_name, template, serviceResource) => {
    const t = template();
    const configuration = JSON.stringify(t.findResources(serviceResource));
    expect(configuration).toContain('FLAGSTACK_CORS_ORIGINS'); // the service's environment is in what was searched
    expect(serviceKeepAliveMs(configuration)).toBeGreaterThan(albIdleTimeoutMs(t));
  });

  it("Flagstack-SingleBox with a domain: the service's keep-alive timeout exceeds Caddy's upstream keepalive", () => {
    const instance = Object.values(
      Template.fromStack(buildApp({ domainName: 'flags.example.com' }).stacks['single-box']).findResources('AWS::EC2::Instance'),
    )[0];
    // The user-data script: its text, with each CloudFormation reference as a placeholder.
    const parts: unknown[] = instance.Properties.UserData['Fn::Base64']['Fn::Join'][1];
    const script = parts.map((part) => (typeof part === 'string' ? part : '<ref>')).join('');
    const caddyKeepalive = /reverse_proxy [^{]*\{\s*transport http \{\s*keepalive ([0-9]+)s/.exec(script);
    expect(caddyKeepalive).not.toBeNull();
    expect(serviceKeepAliveMs(script)).toBeGreaterThan(1000 * Number(caddyKeepalive![1]));
  });
});
