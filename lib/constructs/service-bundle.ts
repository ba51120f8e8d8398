/**
 * The flag service as `npm run build` bundles it (dist/service: server.js, migrate.js and their
 * source maps), uploaded as one zipped S3 asset that instances download at boot.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type IGrantable, Grant } from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

export interface ServiceBundleProps {
  /**
   * Directory holding the esbuild output.
   * @default dist/service at the repository root
   */
  readonly bundleDir?: string;
}

/** The repository's `dist/service`, wherever the app is run from (bin/ via ts, or dist/infra). */
export const DEFAULT_BUNDLE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'service');

export class ServiceBundle extends Construct {
  /** The uploaded zip: `s3ObjectUrl` for user data, `grantRead` for instance roles. */
  readonly asset: Asset;

  constructor(scope: Construct, id: string, props: ServiceBundleProps = {}) {
    super(scope, id);
    const bundleDir = props.bundleDir ?? DEFAULT_BUNDLE_DIR;
    if (!fs.existsSync(path.join(bundleDir, 'server.js'))) {
      throw new Error(`ServiceBundle: ${path.join(bundleDir, 'server.js')} is missing; run \`npm run build\` first`);
    }
    this.asset = new Asset(this, 'Asset', { path: bundleDir });
  }

  /** Lets `grantee` download the bundle: `s3:GetObject` on this one object, nothing else. */
  grantRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [this.asset.bucket.arnForObjects(this.asset.s3ObjectKey)],
    });
  }

  /**
   * Shell lines that download the bundle and unpack it into `targetDir` (needs the AWS CLI and
   * unzip, both on Amazon Linux 2023).
   */
  installCommands(targetDir: string): string[] {
    return [
      `mkdir -p ${targetDir}`,
      `aws s3 cp ${this.asset.s3ObjectUrl} /tmp/flagstack-bundle.zip`,
      `unzip -o /tmp/flagstack-bundle.zip -d ${targetDir}`,
      'rm -f /tmp/flagstack-bundle.zip',
    ];
  }
}
