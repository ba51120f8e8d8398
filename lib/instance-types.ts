/**
 * What the stacks and the cost model need to know about an EC2 or RDS instance type: its vCPUs (the
 * service runs one worker per vCPU), its baseline network bandwidth and, for burstable types (T
 * family), the share of each vCPU it may use without spending CPU credits. Sources: Amazon EC2 User
 * Guide, "Key concepts for burstable performance instances" (baseline utilisation per vCPU), and the
 * instance type pages (vCPUs; network performance: the sustained baseline, under the burst figure a
 * type is sold with). RDS `db.` classes have the same shape.
 */
export interface InstanceTypeSpec {
  readonly vcpus: number;
  /** Baseline utilisation per vCPU for burstable types; undefined for fixed-performance types. */
  readonly burstableBaseline?: number;
  /** Sustained network bandwidth, Gbps. */
  readonly networkBaselineGbps?: number;
}

const SPECS: Readonly<Record<string, InstanceTypeSpec>> = {
  't4g.nano': { vcpus: 2, burstableBaseline: 0.05, networkBaselineGbps: 0.032 },
  't4g.micro': { vcpus: 2, burstableBaseline: 0.1, networkBaselineGbps: 0.064 },
  't4g.small': { vcpus: 2, burstableBaseline: 0.2, networkBaselineGbps: 0.128 },
  't4g.medium': { vcpus: 2, burstableBaseline: 0.2, networkBaselineGbps: 0.256 },
  't4g.large': { vcpus: 2, burstableBaseline: 0.3, networkBaselineGbps: 0.512 },
  't4g.xlarge': { vcpus: 4, burstableBaseline: 0.4, networkBaselineGbps: 1.024 },
  't4g.2xlarge': { vcpus: 8, burstableBaseline: 0.4, networkBaselineGbps: 2.048 },
  't3.nano': { vcpus: 2, burstableBaseline: 0.05, networkBaselineGbps: 0.032 },
  't3.micro': { vcpus: 2, burstableBaseline: 0.1, networkBaselineGbps: 0.064 },
  't3.small': { vcpus: 2, burstableBaseline: 0.2, networkBaselineGbps: 0.128 },
  't3.medium': { vcpus: 2, burstableBaseline: 0.2, networkBaselineGbps: 0.256 },
  't3.large': { vcpus: 2, burstableBaseline: 0.3, networkBaselineGbps: 0.512 },
  'c7g.medium': { vcpus: 1, networkBaselineGbps: 0.52 },
  'c7g.large': { vcpus: 2, networkBaselineGbps: 0.937 },
  'c7g.xlarge': { vcpus: 4, networkBaselineGbps: 1.876 },
  'm7g.medium': { vcpus: 1, networkBaselineGbps: 0.52 },
  'm7g.large': { vcpus: 2, networkBaselineGbps: 0.937 },
  'r6g.large': { vcpus: 2, networkBaselineGbps: 0.75 },
};

/** The spec of an EC2 type (`t4g.small`) or RDS class (`db.t4g.medium`), or undefined if unknown. */
export function instanceTypeSpec(type: string): InstanceTypeSpec | undefined {
  return SPECS[type.replace(/^db\./, '')];
}

/**
 * vCPUs of an instance type: from its spec, else from its size as Graviton types are sized (medium
 * 1, large 2, xlarge 4, Nxlarge 4N; T types 2 up to large); undefined when neither says.
 */
export function vcpusOf(type: string): number | undefined {
  const known = instanceTypeSpec(type)?.vcpus;
  if (known !== undefined) return known;
  const [family, size = ''] = type.replace(/^db\./, '').split('.');
  if (family.startsWith('t') && ['nano', 'micro', 'small', 'medium', 'large'].includes(size)) return 2;
  const sized: Record<string, number> = { medium: 1, large: 2, xlarge: 4 };
  if (sized[size] !== undefined) return sized[size];
  const multiple = /^(\d+)xlarge$/.exec(size);
  return multiple ? Number(multiple[1]) * 4 : undefined;
}
