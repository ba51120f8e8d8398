import { buildApp } from './app';

describe('cdk-nag AWS Solutions checks', () => {
  // Policy validation runs at synth and throws on any finding that is not acknowledged with a reason.
  it.each([
    [{}],
    [{ domainName: 'flags.example.com', alarmEmail: 'ops@example.com' }],
    [
      {
        domainName: 'flags.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f',
        databaseProvisioned: 'true',
        multiAz: 'false',
      },
    ],
    // The edge stage from another home region (Lambda@Edge then lives in a us-east-1 stack of its own), one region, options.
    [{ region: 'eu-west-1', cloudFrontPrefixListId: 'pl-4fa04526', edgeRegions: 'eu-west-1,us-east-1' }],
    [{ edgeRegions: 'us-east-1', edgeReservedConcurrency: '20', edgeTraitTtlDays: '30', fargatePublishesToEdge: 'false' }],
  ])('leave no unacknowledged finding (context %j)', (context) => {
    const { app } = buildApp(context);
    expect(() => app.synth()).not.toThrow();
  });
});
