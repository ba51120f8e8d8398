/**
 * The single-box stage: one Graviton instance in a public subnet carries everything. The bundle runs
 * as a systemd service, PostgreSQL runs beside it on an encrypted EBS volume and is dumped nightly to
 * S3, Caddy terminates TLS when a domain is given. No NAT, no SSH: Session Manager only. A failed
 * system status check recovers the instance onto healthy hardware.
 */
import { vcpusOf } from '../instance-types';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { Monitoring } from '../constructs/monitoring';
import { ServiceHost } from '../constructs/service-host';
import { REQUEST_COUNT_METRIC, SERVICE_PORT } from '../constants';

export interface SingleBoxStackProps extends StackProps {
  /** The instance: Graviton (ARM64), as the packages the user data installs are (singleBoxInstanceType). */
  readonly instanceType: ec2.InstanceType;
  /** Size of the PostgreSQL data volume in GiB, at least 8 (singleBoxDataVolumeGiB). */
  readonly dataVolumeGiB: number;
  /** How long the nightly dumps are kept (backupRetentionDays). */
  readonly backupRetention: Duration;
  /** Web origins whose pages may call the SDK and OFREP endpoints, or `*` for any (FLAGSTACK_CORS_ORIGINS). */
  readonly corsOrigins: readonly string[];
  /**
   * Public host name: Caddy serves it on 443 with a Let's Encrypt certificate.
   * @default none: the service answers plain HTTP on port 80 of the Elastic IP
   */
  readonly domainName?: string;
  /**
   * Email address subscribed to the alarm topic.
   * @default no subscription
   */
  readonly alarmEmail?: string;
}

/** The EBS device name of the PostgreSQL data volume (a udev symlink to the NVMe device). */
const DATA_DEVICE = '/dev/sdf';
/** Where the nightly dumps go in the backup bucket. */
const BACKUP_PREFIX = 'pg_dump/';
/** How long Caddy keeps an idle connection to the service: below the service's keep-alive timeout. */
const CADDY_UPSTREAM_KEEPALIVE_SECONDS = 60;

export class SingleBoxStack extends Stack {
  readonly instance: ec2.Instance;
  readonly backupBucket: s3.Bucket;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: SingleBoxStackProps) {
    super(scope, id, props);
    if (props.instanceType.architecture !== ec2.InstanceArchitecture.ARM_64) {
      throw new Error(`SingleBoxStack: instanceType ${props.instanceType.toString()} is not Graviton (ARM64)`);
    }
    if (props.dataVolumeGiB < 8) throw new Error(`SingleBoxStack: dataVolumeGiB ${props.dataVolumeGiB} must be at least 8`);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 1,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    vpc.addFlowLog('FlowLog', { trafficType: ec2.FlowLogTrafficType.REJECT });

    const securityGroup = new ec2.SecurityGroup(this, 'InstanceSg', {
      vpc,
      description: 'flagstack single box: HTTP(S) only, no SSH',
      allowAllOutbound: true,
    });
    const webPorts = props.domainName !== undefined ? [80, 443] : [80];
    for (const port of webPorts)
      securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `HTTP${port === 443 ? 'S' : ''} from anywhere`);
    Validations.of(securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'A public web service: ports 80 (and 443 with a domain) are open to the internet by design; nothing else is.',
    });

    this.backupBucket = new s3.Bucket(this, 'Backups', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          expiration: props.backupRetention,
          noncurrentVersionExpiration: Duration.days(7),
        },
      ],
    });
    Validations.of(this.backupBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the instance role writes nightly dumps here; CloudTrail records access, server access logs would add a second bucket for little.',
    });

    const host = new ServiceHost(this, 'Service', {
      bindLowPorts: props.domainName === undefined,
      environment: {
        DATABASE_URL: 'postgres://flagstack@localhost/flagstack?host=/var/run/postgresql',
        // One worker runs JavaScript on one vCPU: one per vCPU (PostgreSQL shares them).
        WEB_CONCURRENCY: String(vcpusOf(props.instanceType.toString()) ?? 1),
        FLAGSTACK_CORS_ORIGINS: props.corsOrigins.join(','),
        ...(props.domainName === undefined ? { PORT: '80' } : { PORT: String(SERVICE_PORT), HOST: '127.0.0.1' }),
      },
    });

    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      'set -euo pipefail',
      ...mountDataVolume('/var/lib/pgsql'),
      'dnf install -y postgresql16-server postgresql16',
      '[ -f /var/lib/pgsql/data/PG_VERSION ] || postgresql-setup --initdb',
      'systemctl enable --now postgresql',
      // Peer authentication over the local socket: the flagstack OS user is the flagstack role, no password.
      `sudo -u postgres psql -tc "SELECT 1 FROM pg_roles WHERE rolname='flagstack'" | grep -q 1 || sudo -u postgres createuser flagstack`,
      `sudo -u postgres psql -tc "SELECT 1 FROM pg_database WHERE datname='flagstack'" | grep -q 1 || sudo -u postgres createdb -O flagstack flagstack`,
      ...host.bootCommands,
      ...(props.domainName !== undefined ? caddyCommands(props.domainName) : []),
      ...nightlyBackupCommands(this.backupBucket.bucketName),
    );

    this.instance = new ec2.Instance(this, 'Instance', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      instanceType: props.instanceType,
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      securityGroup,
      userData,
      userDataCausesReplacement: true,
      ssmSessionPermissions: true,
      requireImdsv2: true,
      detailedMonitoring: true,
      disableApiTermination: true,
      blockDevices: [
        { deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) },
        {
          deviceName: DATA_DEVICE,
          volume: ec2.BlockDeviceVolume.ebs(props.dataVolumeGiB, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: false,
          }),
        },
      ],
    });
    host.grantTo(this.instance);
    this.instance.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.backupBucket.arnForObjects(`${BACKUP_PREFIX}*`)] }),
    );
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'Session Manager access (instead of SSH) needs the AWS-maintained SSM core policy.',
    });
    Validations.of(this.instance).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.backupBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${BACKUP_PREFIX}*]`,
      reason:
        'Each nightly dump is a new object under the backup prefix; the role may only put objects there (versioning keeps overwrites recoverable).',
    });

    const address = new ec2.CfnEIP(this, 'Address', { instanceId: this.instance.instanceId });

    this.monitoring = new Monitoring(this, 'Monitoring', { dashboardName: 'flagstack-single-box', alarmEmail: props.alarmEmail });
    const statusCheck = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/EC2',
        metricName,
        dimensionsMap: { InstanceId: this.instance.instanceId },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
    this.monitoring.addAlarm('SystemStatusAlarm', {
      description: 'System status check failed: the instance is being recovered onto healthy hardware',
      metric: statusCheck('StatusCheckFailed_System'),
      threshold: 0,
      evaluationPeriods: 2,
      extraActions: [new actions.Ec2Action(actions.Ec2InstanceAction.RECOVER)],
    });
    this.monitoring.addAlarm('InstanceStatusAlarm', {
      description: 'Instance status check failed: the instance is being rebooted',
      metric: statusCheck('StatusCheckFailed_Instance'),
      threshold: 0,
      evaluationPeriods: 3,
      extraActions: [new actions.Ec2Action(actions.Ec2InstanceAction.REBOOT)],
    });
    // No load balancer counts the single box's requests: a filter on the service's JSON log does, one per
    // "request completed" line (fastify logs one per response).
    const requestCount = new logs.MetricFilter(this, 'RequestCountFilter', {
      logGroup: host.logGroup,
      metricNamespace: REQUEST_COUNT_METRIC.namespace,
      metricName: REQUEST_COUNT_METRIC.metricName,
      filterPattern: logs.FilterPattern.stringValue('$.msg', '=', 'request completed'),
      metricValue: '1',
    });
    this.monitoring.addGraph('Requests per minute', [requestCount.metric({ statistic: 'Sum', period: Duration.minutes(1) })]);
    this.monitoring.addGraph('CPU utilisation (%)', [
      new cloudwatch.Metric({
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensionsMap: { InstanceId: this.instance.instanceId },
      }),
    ]);

    new CfnOutput(this, 'PublicIp', { value: address.ref, description: 'Point the domain (or your browser) here' });
    new CfnOutput(this, 'ServiceUrl', { value: props.domainName !== undefined ? `https://${props.domainName}` : `http://${address.ref}` });
    new CfnOutput(this, 'SessionCommand', { value: `aws ssm start-session --target ${this.instance.instanceId}` });
    new CfnOutput(this, 'BackupBucket', { value: this.backupBucket.bucketName });
  }
}

/** Formats the data volume on first boot and mounts it at `mountPoint`. */
function mountDataVolume(mountPoint: string): string[] {
  return [
    `for _ in $(seq 1 60); do [ -e ${DATA_DEVICE} ] && break; sleep 1; done`,
    `blkid ${DATA_DEVICE} || mkfs.xfs ${DATA_DEVICE}`,
    `mkdir -p ${mountPoint}`,
    `grep -q ' ${mountPoint} ' /etc/fstab || echo "UUID=$(blkid -s UUID -o value ${DATA_DEVICE}) ${mountPoint} xfs defaults,nofail 0 2" >> /etc/fstab`,
    'mount -a',
  ];
}

/**
 * Caddy in front of the service: automatic Let's Encrypt TLS for `domainName`, and gzip for clients that
 * accept it (a 20-flag flag list leaves in about 1.2 KB instead of 6 KB: the cost model's compressed sizes).
 */
function caddyCommands(domainName: string): string[] {
  return [
    'curl -fsSL -o /usr/local/bin/caddy "https://caddyserver.com/api/download?os=linux&arch=arm64"',
    'chmod 755 /usr/local/bin/caddy',
    'id caddy >/dev/null 2>&1 || useradd --system --home-dir /var/lib/caddy --create-home --shell /sbin/nologin caddy',
    'mkdir -p /etc/caddy',
    // Caddy keeps idle upstream connections 2 minutes by default, longer than the service keeps them
    // (FLAGSTACK_KEEP_ALIVE_TIMEOUT_MS, 65 s): Caddy could then send a request on a connection the
    // service is closing. 60 s lets Caddy give up first.
    "cat > /etc/caddy/Caddyfile <<'CADDYFILE'",
    `${domainName} {`,
    '  encode gzip',
    `  reverse_proxy 127.0.0.1:${SERVICE_PORT} {`,
    '    transport http {',
    `      keepalive ${CADDY_UPSTREAM_KEEPALIVE_SECONDS}s`,
    '    }',
    '  }',
    '}',
    'CADDYFILE',
    "cat > /etc/systemd/system/caddy.service <<'UNIT'",
    '[Unit]',
    'Description=Caddy TLS proxy',
    'After=network-online.target flagstack.service',
    '[Service]',
    'User=caddy',
    'ExecStart=/usr/local/bin/caddy run --config /etc/caddy/Caddyfile --adapter caddyfile',
    'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'Restart=on-failure',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now caddy',
  ];
}

/** A systemd timer running `pg_dump` every night into the (encrypted, versioned) bucket. */
function nightlyBackupCommands(bucketName: string): string[] {
  return [
    "cat > /usr/local/bin/flagstack-backup <<'SCRIPT'",
    '#!/bin/bash',
    'set -euo pipefail',
    `sudo -u postgres pg_dump --format=custom flagstack | aws s3 cp --sse AES256 - "s3://${bucketName}/${BACKUP_PREFIX}flagstack-$(date -u +%Y%m%dT%H%M%SZ).dump"`,
    'SCRIPT',
    'chmod 755 /usr/local/bin/flagstack-backup',
    "cat > /etc/systemd/system/flagstack-backup.service <<'UNIT'",
    '[Service]',
    'Type=oneshot',
    'ExecStart=/usr/local/bin/flagstack-backup',
    'UNIT',
    "cat > /etc/systemd/system/flagstack-backup.timer <<'UNIT'",
    '[Timer]',
    'OnCalendar=*-*-* 03:00:00 UTC',
    'Persistent=true',
    '[Install]',
    'WantedBy=timers.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now flagstack-backup.timer',
  ];
}
