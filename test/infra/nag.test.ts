import { buildApp } from './app';

describe('cdk-nag AWS Solutions checks', () => {
  // Policy validation runs at synth and throws on any finding that is not acknowledged with a reason.
  it.each([
    [{}],
    [{ domainName: 'flags.example.com', alarmEmail: 'ops@example.com' }],
    [{ domainName: 'flags.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f', databaseProvisioned: 'true', multiAz: 'false' }],
  ])('leave no unacknowledged finding (context %j)', (context) => {
    const { app } = buildApp(context);
    expect(() => app.synth()).not.toThrow();
  });
});
