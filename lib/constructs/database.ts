/**
 * PostgreSQL for the multi-instance rounds: an encrypted Aurora PostgreSQL cluster (Serverless v2 by
 * default, provisioned by option) in isolated subnets, its credentials in Secrets Manager with
 * rotation, and an RDS Proxy in front that requires TLS, so the number of database connections stays
 * flat however many service instances run.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface DatabaseProps {
  /** The VPC; the cluster goes in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /**
   * Provisioned instances of this class (without the `db.` prefix) instead of Serverless v2.
   * @default Serverless v2
   */
  readonly provisionedInstanceClass?: string;
  /**
   * Serverless v2 capacity range in ACUs.
   * @default 0.5 to 4
   */
  readonly serverlessCapacity?: { readonly min: number; readonly max: number };
  /**
   * A reader in a second AZ that takes over if the writer fails.
   * @default true
   */
  readonly multiAz?: boolean;
  /**
   * Name of the database created in the cluster.
   * @default flagstack
   */
  readonly databaseName?: string;
  /**
   * Days of automated backups.
   * @default 7
   */
  readonly backupRetentionDays?: number;
}

export class Database extends Construct {
  readonly cluster: rds.DatabaseCluster;
  /** Clients connect here (TLS required), never to the cluster directly. */
  readonly proxy: rds.DatabaseProxy;
  /** The credentials (JSON: username, password, host, port, dbname), rotated monthly. */
  readonly secret: secretsmanager.ISecret;
  readonly databaseName: string;
  /** The security group of the proxy: allow clients into it with `allowFrom`. */
  readonly proxySecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const capacity = props.serverlessCapacity ?? { min: 0.5, max: 4 };
    if (capacity.min < 0 || capacity.max < capacity.min || capacity.max > 256) {
      throw new Error(`Database: serverlessCapacity ${capacity.min}..${capacity.max} must satisfy 0 ≤ min ≤ max ≤ 256`);
    }
    this.databaseName = props.databaseName ?? 'flagstack';
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(this.databaseName)) {
      throw new Error(`Database: databaseName "${this.databaseName}" must be a lower-case PostgreSQL identifier`);
    }
    const multiAz = props.multiAz ?? true;
    const instance = (name: string, reader: boolean) =>
      props.provisionedInstanceClass !== undefined
        ? rds.ClusterInstance.provisioned(name, {
            instanceType: new ec2.InstanceType(props.provisionedInstanceClass),
            enablePerformanceInsights: true,
          })
        : rds.ClusterInstance.serverlessV2(name, { scaleWithWriter: reader });

    const clusterSecurityGroup = new ec2.SecurityGroup(this, 'ClusterSg', { vpc: props.vpc, description: 'Aurora: only the RDS Proxy', allowAllOutbound: false });
    this.proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySg', { vpc: props.vpc, description: 'RDS Proxy: only the service', allowAllOutbound: false });
    clusterSecurityGroup.addIngressRule(this.proxySecurityGroup, ec2.Port.tcp(5432), 'from the RDS Proxy');
    this.proxySecurityGroup.addEgressRule(clusterSecurityGroup, ec2.Port.tcp(5432), 'to the cluster');

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 }),
      credentials: rds.Credentials.fromGeneratedSecret('flagstack'),
      defaultDatabaseName: this.databaseName,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [clusterSecurityGroup],
      writer: instance('Writer', false),
      readers: multiAz ? [instance('Reader', true)] : [],
      serverlessV2MinCapacity: capacity.min,
      serverlessV2MaxCapacity: capacity.max,
      storageEncrypted: true,
      iamAuthentication: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      backup: { retention: Duration.days(props.backupRetentionDays ?? 7) },
      cloudwatchLogsExports: ['postgresql'],
      parameters: { 'rds.force_ssl': '1' },
    });
    if (this.cluster.secret === undefined) throw new Error('Database: the cluster has no generated secret');
    this.secret = this.cluster.secret;
    this.cluster.addRotationSingleUser({ automaticallyAfter: Duration.days(30) });
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'The cluster is reachable only from the RDS Proxy security group; a non-default port would add no protection.',
    });

    this.proxy = this.cluster.addProxy('Proxy', {
      secrets: [this.secret],
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.proxySecurityGroup],
      requireTLS: true,
    });
  }

  /** Lets `peer` connect to the proxy on 5432. */
  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.proxySecurityGroup.connections.allowFrom(peer, ec2.Port.tcp(5432), description);
  }
}
