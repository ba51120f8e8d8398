/**
 * Reading a synthesised CloudFormation template: one stack's resources with lookups across them, and
 * the helpers the resource kinds' readers share (literal values, references, user data).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import type { CfnTemplate } from '../templates';

/** The parts of a CloudFormation resource the readers read. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly UpdatePolicy?: Record<string, any>;
}

/** Where a priced resource is: what every resource kind's facts start with. */
export interface ResourceBase {
  /** Logical id in its stack. */
  readonly id: string;
  readonly type: string;
  readonly stack: string;
  readonly region: string;
}

/** Thrown by a reader that cannot price a resource as written (an unresolved value, an unknown mode). */
export class Unreadable extends Error {}

/** Every logical id `value` points at through Ref or Fn::GetAtt, however deep. */
export function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt') into.add(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]);
      else referencedIds(inner, into);
    }
  }
  return into;
}

/** A template number, which CloudFormation lets be a string ("20"). */
export function num(value: unknown, fallback?: number): number | undefined {
  const parsed = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(parsed) ? parsed : fallback;
}

export function required(value: number | undefined, what: string): number {
  if (value === undefined) throw new Unreadable(`${what} is not a literal number in the template`);
  return value;
}

export function literal(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Unreadable(`${what} is not a literal string in the template`);
  return value;
}

/** Service worker processes set in `value` (user data or container environment): WEB_CONCURRENCY, default 1. */
export function workersIn(value: unknown): number {
  const text = JSON.stringify(value ?? null);
  const match = /WEB_CONCURRENCY=(\d+)/.exec(text) ?? /"Name":"WEB_CONCURRENCY","Value":"(\d+)"/.exec(text);
  return match ? Number(match[1]) : 1;
}

/** One template with lookups across its resources. */
export class TemplateView {
  readonly resources: Readonly<Record<string, CfnResource>>;

  constructor(
    readonly stack: string,
    readonly region: string,
    template: CfnTemplate,
  ) {
    this.resources = template.Resources ?? {};
  }

  ofType(type: string): [string, CfnResource][] {
    return Object.entries(this.resources).filter(([, resource]) => resource.Type === type);
  }

  /** Resources of `type` whose properties point at `id`. */
  referencing(type: string, id: string, property?: string): [string, CfnResource][] {
    return this.ofType(type).filter(([, resource]) =>
      referencedIds(property ? resource.Properties?.[property] : resource.Properties).has(id),
    );
  }

  get(id: string): CfnResource | undefined {
    return this.resources[id];
  }

  base(id: string, resource: CfnResource): ResourceBase {
    return { id, type: resource.Type, stack: this.stack, region: this.region };
  }

  /** The user data of every instance and launch template in the stack. */
  userData(): unknown[] {
    return [
      ...this.ofType('AWS::EC2::Instance').map(([, i]) => i.Properties?.UserData),
      ...this.ofType('AWS::EC2::LaunchTemplate').map(([, t]) => t.Properties?.LaunchTemplateData?.UserData),
    ];
  }

  /** The Lambda function a Lambda@Edge association's ARN points at (directly, or through a version). */
  lambdaBehind(arn: unknown): string | undefined {
    for (const ref of referencedIds(arn)) {
      const target = this.get(ref);
      if (target?.Type === 'AWS::Lambda::Function') return ref;
      if (target?.Type === 'AWS::Lambda::Version') {
        const fn = [...referencedIds(target.Properties?.FunctionName)].find((f) => this.get(f)?.Type === 'AWS::Lambda::Function');
        if (fn) return fn;
      }
    }
    return undefined;
  }
}
