/**
 * Boot-time setup shared by the EC2 rounds (1 and 2): Node.js, the service bundle as a systemd
 * service that restarts on failure, and the CloudWatch agent shipping its log file. Returns shell
 * lines for an Amazon Linux 2023 user-data script.
 */
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ServiceBundle } from './service-bundle';

export interface ServiceHostOptions {
  /** The bundle to install. */
  readonly bundle: ServiceBundle;
  /** Where the CloudWatch agent sends the service log. */
  readonly logGroup: ILogGroup;
  /** Environment of the service process (`PORT`, `DATABASE_URL`, …); values must not hold secrets. */
  readonly environment: Record<string, string>;
  /**
   * Shell lines run before the service starts, which may append `KEY=value` lines to the env file
   * `/etc/flagstack/secrets.env` (mode 600), e.g. from Secrets Manager.
   * @default none
   */
  readonly secretCommands?: string[];
  /**
   * Let the process bind ports below 1024 (serving :80 directly).
   * @default false
   */
  readonly bindLowPorts?: boolean;
}

const APP_DIR = '/opt/flagstack';
const LOG_FILE = '/var/log/flagstack/service.log';

/** Shell lines installing and starting the service; run as root from user data. */
export function serviceHostCommands(options: ServiceHostOptions): string[] {
  for (const [key, value] of Object.entries(options.environment)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key) || /[\n'"]/.test(value)) {
      throw new Error(`serviceHostCommands: environment ${key} must be an upper-case name with a one-line value without quotes`);
    }
  }
  const environment = Object.entries(options.environment).map(([key, value]) => `Environment=${key}=${value}`);
  const agentConfig = JSON.stringify({
    logs: {
      logs_collected: {
        files: { collect_list: [{ file_path: LOG_FILE, log_group_name: options.logGroup.logGroupName, log_stream_name: '{instance_id}' }] },
      },
    },
  });
  return [
    'dnf install -y nodejs20 unzip amazon-cloudwatch-agent',
    'NODE_BIN="$(command -v node-20 || command -v node)"',
    'id flagstack >/dev/null 2>&1 || useradd --system --home-dir /opt/flagstack --shell /sbin/nologin flagstack',
    ...options.bundle.installCommands(APP_DIR),
    'install -d -o flagstack -g flagstack -m 750 /var/log/flagstack /etc/flagstack',
    'install -m 600 -o flagstack -g flagstack /dev/null /etc/flagstack/secrets.env',
    ...(options.secretCommands ?? []),
    "cat > /etc/systemd/system/flagstack.service <<UNIT",
    '[Unit]',
    'Description=flagstack feature-flag service',
    'After=network-online.target',
    'Wants=network-online.target',
    '[Service]',
    'User=flagstack',
    `WorkingDirectory=${APP_DIR}`,
    ...environment,
    'EnvironmentFile=/etc/flagstack/secrets.env',
    `ExecStart=\${NODE_BIN} --enable-source-maps ${APP_DIR}/server.js`,
    'Restart=on-failure',
    'RestartSec=2',
    'TimeoutStopSec=40',
    ...(options.bindLowPorts ? ['AmbientCapabilities=CAP_NET_BIND_SERVICE'] : []),
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
    `cat > /opt/aws/amazon-cloudwatch-agent/etc/flagstack.json <<'AGENT'`,
    agentConfig,
    'AGENT',
    '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/flagstack.json',
  ];
}
