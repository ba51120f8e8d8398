/**
 * What the EC2 stages (single-box, autoscaled) share to run the service on a host: the bundle, its log group, the
 * bootstrap admin token in Secrets Manager, and the boot commands that install Node.js, run the
 * bundle as a systemd service that restarts on failure, and ship its log with the CloudWatch agent.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AdminToken } from './admin-token';
import { ServiceBundle } from './service-bundle';

export interface ServiceHostProps {
  /** Environment of the service process (`PORT`, …); values are visible in the template, so no secrets. */
  readonly environment: Record<string, string>;
  /**
   * Shell lines run before the service starts that may append `KEY=value` lines to
   * `/etc/flagstack/secrets.env` (mode 600), e.g. a DATABASE_URL built from Secrets Manager.
   * @default none
   */
  readonly secretCommands?: string[];
  /**
   * Let the process bind ports below 1024 (serving :80 directly).
   * @default false
   */
  readonly bindLowPorts?: boolean;
  /**
   * Retention of the service log.
   * @default one month
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The Node.js major version the hosts run: an LTS line with upstream support. Amazon Linux 2023
 * packages each major as `nodejs<major>`, whose binary `node-<major>` stays that version whichever
 * one `node` points at.
 */
export const HOST_NODE_MAJOR = 24;
const APP_DIR = '/opt/flagstack';
const LOG_FILE = '/var/log/flagstack/service.log';
/** The env file holding secrets, readable only by the service user. */
export const SECRETS_ENV_FILE = '/etc/flagstack/secrets.env';

export class ServiceHost extends Construct {
  readonly bundle: ServiceBundle;
  readonly logGroup: logs.LogGroup;
  /** The bootstrap admin token (FLAGSTACK_ADMIN_TOKEN). */
  readonly adminToken: AdminToken;
  /** Shell lines for an Amazon Linux 2023 user-data script (run as root) that install and start the service. */
  readonly bootCommands: string[];

  constructor(scope: Construct, id: string, props: ServiceHostProps) {
    super(scope, id);
    for (const [key, value] of Object.entries(props.environment)) {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key) || /[\n'"$]/.test(value)) {
        throw new Error(`ServiceHost: environment ${key} must be an upper-case name with a one-line value without quotes or $`);
      }
    }
    this.bundle = new ServiceBundle(this, 'Bundle');
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.adminToken = new AdminToken(this, 'AdminToken');

    const agentConfig = JSON.stringify({
      logs: {
        logs_collected: {
          files: { collect_list: [{ file_path: LOG_FILE, log_group_name: this.logGroup.logGroupName, log_stream_name: '{instance_id}' }] },
        },
      },
    });
    const region = Stack.of(this).region;
    this.bootCommands = [
      `dnf install -y nodejs${HOST_NODE_MAJOR} unzip jq amazon-cloudwatch-agent`,
      // No fallback to `node`: a missing binary stops the boot script rather than run another version.
      `NODE_BIN="$(command -v node-${HOST_NODE_MAJOR})"`,
      'id flagstack >/dev/null 2>&1 || useradd --system --home-dir /opt/flagstack --shell /sbin/nologin flagstack',
      ...this.bundle.installCommands(APP_DIR),
      'install -d -o flagstack -g flagstack -m 750 /var/log/flagstack /etc/flagstack',
      `install -m 600 -o flagstack -g flagstack /dev/null ${SECRETS_ENV_FILE}`,
      `echo "FLAGSTACK_ADMIN_TOKEN=$(aws secretsmanager get-secret-value --region ${region} --secret-id ${this.adminToken.secretArn} --query SecretString --output text)" >> ${SECRETS_ENV_FILE}`,
      ...(props.secretCommands ?? []),
      'cat > /etc/systemd/system/flagstack.service <<UNIT',
      '[Unit]',
      'Description=flagstack feature-flag service',
      'After=network-online.target',
      'Wants=network-online.target',
      '[Service]',
      'User=flagstack',
      `WorkingDirectory=${APP_DIR}`,
      ...Object.entries(props.environment).map(([key, value]) => `Environment=${key}=${value}`),
      `EnvironmentFile=${SECRETS_ENV_FILE}`,
      `ExecStart=\${NODE_BIN} ${APP_DIR}/server.js`,
      'Restart=on-failure',
      'RestartSec=2',
      'TimeoutStopSec=40',
      ...(props.bindLowPorts ? ['AmbientCapabilities=CAP_NET_BIND_SERVICE'] : []),
      'NoNewPrivileges=true',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/log/flagstack',
      `StandardOutput=append:${LOG_FILE}`,
      `StandardError=append:${LOG_FILE}`,
      '[Install]',
      'WantedBy=multi-user.target',
      'UNIT',
      'systemctl daemon-reload',
      'systemctl enable --now flagstack',
      "cat > /opt/aws/amazon-cloudwatch-agent/etc/flagstack.json <<'AGENT'",
      agentConfig,
      'AGENT',
      '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/flagstack.json',
    ];
  }

  /** Lets the host's role download the bundle, read the admin token and write the log. */
  grantTo(grantee: iam.IGrantable): void {
    this.bundle.grantRead(grantee);
    this.adminToken.grantRead(grantee);
    this.logGroup.grantWrite(grantee);
  }
}
