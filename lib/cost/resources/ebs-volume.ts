/** An EBS volume of its own (not an instance's launch mapping): its GB-months. */
/* eslint-disable @typescript-eslint/no-unsafe-assignment --
   A resource's Properties are whatever CloudFormation JSON the template holds; the reader checks the shape it needs. */
import type { Volume } from './compute';
import type { PricedKind } from './kind';
import { num, required, type ResourceBase } from './template';

export interface EbsVolume extends ResourceBase {
  readonly kind: 'ebs-volume';
  readonly volume: Volume;
}

export const ebsVolume: PricedKind<EbsVolume> = {
  kind: 'ebs-volume',
  cfnTypes: ['AWS::EC2::Volume'],
  read: (view, id, r) => [
    {
      ...view.base(id, r),
      kind: 'ebs-volume',
      volume: { volumeType: r.Properties?.VolumeType ?? 'gp2', sizeGiB: required(num(r.Properties?.Size), 'Size') },
    },
  ],
  usage(resource, { charge }) {
    const { volume } = resource;
    charge(
      resource,
      'Amazon EBS',
      resource.region,
      `ebs.${volume.volumeType}.storage`,
      'GB-month',
      volume.sizeGiB,
      `${volume.sizeGiB} GiB ${volume.volumeType}`,
    );
  },
};
