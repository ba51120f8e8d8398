import { buildApp } from './app';

describe('cdk-nag AWS Solutions checks', () => {
  // Policy validation runs at synth and throws on any finding that is not acknowledged with a reason.
  it.each([[{}], [{ domainName: 'flags.example.com', alarmEmail: 'ops@example.com' }]])('leave no unacknowledged finding (context %j)', (context) => {
    const { app } = buildApp(context);
    expect(() => app.synth()).not.toThrow();
  });
});
