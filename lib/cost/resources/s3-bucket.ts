/** An S3 bucket: the nightly database dumps it holds, for as long as its lifecycle keeps them. */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import { ASSUMPTIONS } from '../profile';
import type { PricedKind } from './kind';
import { num, referencedIds, type ResourceBase } from './template';

export interface S3Bucket extends ResourceBase {
  readonly kind: 's3-bucket';
  readonly holdsBackups: boolean;
  readonly expirationDays?: number;
}

export const s3Bucket: PricedKind<S3Bucket> = {
  kind: 's3-bucket',
  cfnTypes: ['AWS::S3::Bucket'],
  read(view, id, r) {
    const rules: any[] = r.Properties?.LifecycleConfiguration?.Rules ?? [];
    // A bucket the instances write to from user data holds the nightly database dumps.
    const holdsBackups = view.userData().some((userData) => referencedIds(userData).has(id));
    const expirations = rules
      .filter((rule) => rule.Status !== 'Disabled')
      .map((rule) => num(rule.ExpirationInDays))
      .filter((days): days is number => days !== undefined);
    return [
      {
        ...view.base(id, r),
        kind: 's3-bucket',
        holdsBackups,
        expirationDays: expirations.length > 0 ? Math.min(...expirations) : undefined,
      },
    ];
  },
  usage(resource, { charge, cannotQuantify, note, stage, profile }) {
    if (!resource.holdsBackups) {
      cannotQuantify(resource, 'a bucket that holds neither backups nor anything else the model knows: its size is unknown');
      return;
    }
    const days = resource.expirationDays ?? 365;
    if (resource.expirationDays === undefined)
      note(`${stage.stage}: ${resource.id} keeps backups forever; priced for a year of nightly dumps`);
    const gb = profile.dataSizeGb * ASSUMPTIONS.backupBytesPerDataByte * days;
    charge(resource, 'Amazon S3', resource.region, 's3.standard.storage', 'GB-month', gb, `${days} nightly dumps`);
  },
};
