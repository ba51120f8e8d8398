import assetHashSerializer from './asset-hash-serializer';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from './app';

expect.addSnapshotSerializer(assetHashSerializer);

const template = (context: Record<string, unknown> = {}) => Template.fromStack(buildApp(context).stacks['single-box']);

describe('Flagstack-SingleBox', () => {
  const t = template();

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });

  it('runs one Graviton instance in a public subnet without NAT', () => {
    t.resourceCountIs('AWS::EC2::Instance', 1);
    t.hasResourceProperties('AWS::EC2::Instance', { InstanceType: 't4g.small', Monitoring: true });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::Subnet', 1);
    t.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
  });

  it('keeps port 22 closed and has no SSH key; Session Manager instead', () => {
    const instance = Object.values(t.findResources('AWS::EC2::Instance'))[0];
    expect(instance.Properties.KeyName).toBeUndefined();
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroup')).flatMap((sg) => sg.Properties.SecurityGroupIngress ?? []);
    expect(ingress.map((rule: { FromPort: number }) => rule.FromPort)).toEqual([80]);
    t.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
  });

  it('encrypts every EBS volume and keeps the data volume on termination', () => {
    const instance = Object.values(t.findResources('AWS::EC2::Instance'))[0];
    const devices = instance.Properties.BlockDeviceMappings as {
      DeviceName: string;
      Ebs: { Encrypted: boolean; DeleteOnTermination?: boolean };
    }[];
    expect(devices).toHaveLength(2);
    for (const device of devices) expect(device.Ebs.Encrypted).toBe(true);
    expect(devices.find((d) => d.DeviceName === '/dev/sdf')?.Ebs.DeleteOnTermination).toBe(false);
  });

  it('installs the bundle as a systemd service that restarts on failure, with PostgreSQL and nightly pg_dump', () => {
    const userData = JSON.stringify(Object.values(t.findResources('AWS::EC2::Instance'))[0].Properties.UserData);
    for (const expected of [
      'Restart=on-failure',
      'systemctl enable --now flagstack',
      'postgresql16-server',
      'pg_dump',
      'OnCalendar=',
      'amazon-cloudwatch-agent',
    ]) {
      expect(userData).toContain(expected);
    }
    expect(userData).not.toContain('caddy');
  });

  it('runs the service on Node.js 24 LTS, from Amazon Linux 2023 packages', () => {
    const userData = JSON.stringify(Object.values(t.findResources('AWS::EC2::Instance'))[0].Properties.UserData);
    expect(userData).toContain('dnf install -y nodejs24 ');
    expect(userData).toContain('NODE_BIN=\\"$(command -v node-24)\\"');
    expect(userData).toContain('ExecStart=${NODE_BIN} /opt/flagstack/server.js');
    expect(userData).not.toMatch(/nodejs2[02]|node-2[02]/);
  });

  it('backs up to an encrypted, versioned, private bucket with a lifecycle rule', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 35, Status: 'Enabled' })] },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
  });

  it('recovers the instance when the system status check fails', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StatusCheckFailed_System',
      AlarmActions: Match.arrayWith([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':automate:us-east-1:ec2:recover']] }]),
    });
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('counts requests with a metric filter on the service log (the single box has no load balancer to count them)', () => {
    const serviceLog = Object.entries(t.findResources('AWS::Logs::LogGroup')).find(
      ([, group]) => group.Properties.RetentionInDays === 30,
    )?.[0];
    t.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: serviceLog },
      FilterPattern: '{ $.msg = "request completed" }',
      MetricTransformations: [{ MetricNamespace: 'Flagstack', MetricName: 'RequestCount', MetricValue: '1' }],
    });
  });

  it('with a domain: Caddy terminates TLS, compresses responses with gzip, and port 443 opens', () => {
    const withDomain = template({ domainName: 'flags.example.com' });
    const userData = JSON.stringify(Object.values(withDomain.findResources('AWS::EC2::Instance'))[0].Properties.UserData);
    expect(userData).toContain('flags.example.com');
    expect(userData).toContain('caddy run');
    // The site block of the Caddyfile, as the user data writes it: gzip for every response it proxies.
    expect(userData).toMatch(/flags\.example\.com \{\\n {2}encode gzip\\n {2}reverse_proxy 127\.0\.0\.1:/);
    const ingress = Object.values(withDomain.findResources('AWS::EC2::SecurityGroup')).flatMap(
      (sg) => sg.Properties.SecurityGroupIngress ?? [],
    );
    expect(ingress.map((rule: { FromPort: number }) => rule.FromPort).sort()).toEqual([443, 80]);
  });
});
