/**
 * What the capacity model needs to know about an EC2 or RDS instance type: its vCPUs and, for
 * burstable types (T family), the share of each vCPU it may use without spending CPU credits.
 * Source: Amazon EC2 User Guide, "Key concepts for burstable performance instances" (baseline
 * utilisation per vCPU) and the instance type pages (vCPUs). RDS `db.` classes have the same shape.
 */
export interface InstanceTypeSpec {
  readonly vcpus: number;
  /** Baseline utilisation per vCPU for burstable types; undefined for fixed-performance types. */
  readonly burstableBaseline?: number;
}

const SPECS: Readonly<Record<string, InstanceTypeSpec>> = {
  't4g.nano': { vcpus: 2, burstableBaseline: 0.05 },
  't4g.micro': { vcpus: 2, burstableBaseline: 0.1 },
  't4g.small': { vcpus: 2, burstableBaseline: 0.2 },
  't4g.medium': { vcpus: 2, burstableBaseline: 0.2 },
  't4g.large': { vcpus: 2, burstableBaseline: 0.3 },
  't4g.xlarge': { vcpus: 4, burstableBaseline: 0.4 },
  't4g.2xlarge': { vcpus: 8, burstableBaseline: 0.4 },
  't3.nano': { vcpus: 2, burstableBaseline: 0.05 },
  't3.micro': { vcpus: 2, burstableBaseline: 0.1 },
  't3.small': { vcpus: 2, burstableBaseline: 0.2 },
  't3.medium': { vcpus: 2, burstableBaseline: 0.2 },
  't3.large': { vcpus: 2, burstableBaseline: 0.3 },
  'c7g.medium': { vcpus: 1 },
  'c7g.large': { vcpus: 2 },
  'c7g.xlarge': { vcpus: 4 },
  'm7g.medium': { vcpus: 1 },
  'm7g.large': { vcpus: 2 },
  'r6g.large': { vcpus: 2 },
};

/** The spec of an EC2 type (`t4g.small`) or RDS class (`db.t4g.medium`), or undefined if unknown. */
export function instanceTypeSpec(type: string): InstanceTypeSpec | undefined {
  return SPECS[type.replace(/^db\./, '')];
}
