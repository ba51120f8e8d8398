/**
 * PostgreSQL for the load-balanced stages (autoscaled, fargate): an encrypted Aurora PostgreSQL
 * cluster (Serverless v2 by default, provisioned by option) or an RDS PostgreSQL instance (Multi-AZ by
 * default) in isolated subnets, its credentials in Secrets Manager with rotation, and an RDS Proxy in
 * front that requires TLS, so the number of database connections stays flat however many service
 * instances run.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Which PostgreSQL: an Aurora cluster, or a plain RDS instance. */
export type DatabaseEngine = 'aurora' | 'rds';

export interface DatabaseProps {
  /** The VPC; the database goes in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /**
   * Aurora PostgreSQL cluster or RDS PostgreSQL instance.
   * @default aurora
   */
  readonly engine?: DatabaseEngine;
  /**
   * Instance class (without the `db.` prefix): Aurora provisioned instances instead of Serverless v2,
   * or the RDS instance (required with engine rds).
   * @default Aurora Serverless v2
   */
  readonly instanceClass?: string;
  /**
   * RDS instance storage in GiB (engine rds).
   * @default 20
   */
  readonly allocatedStorageGiB?: number;
  /**
   * Serverless v2 capacity range in ACUs.
   * @default 0.5 to 4
   */
  readonly serverlessCapacity?: { readonly min: number; readonly max: number };
  /**
   * A standby (RDS) or reader (Aurora) in a second AZ that takes over if the primary fails.
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
  /** The Aurora cluster or the RDS instance. */
  readonly server: rds.DatabaseCluster | rds.DatabaseInstance;
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
    const engine = props.engine ?? 'aurora';
    const multiAz = props.multiAz ?? true;

    const serverSecurityGroup = new ec2.SecurityGroup(this, 'ClusterSg', {
      vpc: props.vpc,
      description: 'PostgreSQL: only the RDS Proxy',
      allowAllOutbound: false,
    });
    this.proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySg', {
      vpc: props.vpc,
      description: 'RDS Proxy: only the service',
      allowAllOutbound: false,
    });
    serverSecurityGroup.addIngressRule(this.proxySecurityGroup, ec2.Port.tcp(5432), 'from the RDS Proxy');
    this.proxySecurityGroup.addEgressRule(serverSecurityGroup, ec2.Port.tcp(5432), 'to the database');

    const common = {
      credentials: rds.Credentials.fromGeneratedSecret('flagstack'),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [serverSecurityGroup],
      storageEncrypted: true,
      iamAuthentication: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      cloudwatchLogsExports: ['postgresql'],
    };
    if (engine === 'rds') {
      if (props.instanceClass === undefined) throw new Error('Database: engine rds needs instanceClass');
      const postgres = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
      this.server = new rds.DatabaseInstance(this, 'Instance', {
        ...common,
        engine: postgres,
        instanceType: new ec2.InstanceType(props.instanceClass),
        databaseName: this.databaseName,
        multiAz,
        allocatedStorage: props.allocatedStorageGiB ?? 20,
        storageType: rds.StorageType.GP3,
        backupRetention: Duration.days(props.backupRetentionDays ?? 7),
        enablePerformanceInsights: true,
        parameterGroup: new rds.ParameterGroup(this, 'Parameters', { engine: postgres, parameters: { 'rds.force_ssl': '1' } }),
      });
    } else {
      const instance = (name: string, reader: boolean) =>
        props.instanceClass !== undefined
          ? rds.ClusterInstance.provisioned(name, {
              instanceType: new ec2.InstanceType(props.instanceClass),
              enablePerformanceInsights: true,
            })
          : rds.ClusterInstance.serverlessV2(name, { scaleWithWriter: reader });
      this.server = new rds.DatabaseCluster(this, 'Cluster', {
        ...common,
        engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 }),
        defaultDatabaseName: this.databaseName,
        writer: instance('Writer', false),
        readers: multiAz ? [instance('Reader', true)] : [],
        serverlessV2MinCapacity: capacity.min,
        serverlessV2MaxCapacity: capacity.max,
        backup: { retention: Duration.days(props.backupRetentionDays ?? 7) },
        parameters: { 'rds.force_ssl': '1' },
      });
    }
    if (!multiAz) {
      Validations.of(this.server).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'Single-AZ was chosen explicitly (multiAz=false) to halve the database cost; recovery is from automated backups.',
      });
    }
    if (this.server.secret === undefined) throw new Error('Database: no generated secret');
    this.secret = this.server.secret;
    this.server.addRotationSingleUser({ automaticallyAfter: Duration.days(30) });
    Validations.of(this.server).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'The database is reachable only from the RDS Proxy security group; a non-default port would add no protection.',
    });

    this.proxy = this.server.addProxy('Proxy', {
      secrets: [this.secret],
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.proxySecurityGroup],
      requireTLS: true,
    });
  }

  /** Lets `peer` connect to the proxy on 5432. */
  /**
   * The service's DATABASE_URL: through the proxy, TLS verified. `userinfo` is what goes before the
   * `@` (a user, with or without its password, or a shell expression that makes one at boot).
   */
  url(userinfo: string): string {
    return `postgres://${userinfo}@${this.proxy.endpoint}:5432/${this.databaseName}?sslmode=verify-full`;
  }

  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.proxySecurityGroup.connections.allowFrom(peer, ec2.Port.tcp(5432), description);
  }
}
