import { loadStageConfig, StageConfigError } from '../../lib/config';
import { buildApp } from './app';

const load = (context: Record<string, unknown>) => loadStageConfig((key) => context[key]);

describe('stage configuration', () => {
  it('has defaults for every round', () => {
    const config = load({});
    expect(config).toMatchObject({ account: '123456789012', region: 'us-east-1', singleBoxInstanceType: 't4g.small', multiAz: true });
    expect(config).toMatchObject({ edgeRegions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'], edgeName: 'flagstack-edge', edgeMemoryMiB: 512, edgeRefreshSeconds: 5 });
    expect(config.domainName).toBeUndefined();
    expect(config.edgeReservedConcurrency).toBeUndefined();
  });

  it('reads a list as commas or JSON', () => {
    expect(load({ edgeRegions: 'us-east-1, eu-central-1' }).edgeRegions).toEqual(['us-east-1', 'eu-central-1']);
    expect(load({ edgeRegions: '["us-east-1","sa-east-1"]' }).edgeRegions).toEqual(['us-east-1', 'sa-east-1']);
    expect(load({ edgeRegions: ['us-east-1'] }).edgeRegions).toEqual(['us-east-1']);
  });

  it('reads command-line context strings as numbers and booleans', () => {
    const config = load({ autoscaledMaxInstances: '10', multiAz: 'false', auroraMinCapacity: '1.5' });
    expect(config).toMatchObject({ autoscaledMaxInstances: 10, multiAz: false, auroraMinCapacity: 1.5 });
  });

  it.each([
    ['singleBoxInstanceType', 't3.small'],
    ['singleBoxDataVolumeGiB', '2'],
    ['multiAz', 'perhaps'],
    ['region', 'moon'],
    ['fargateCpu', '300'],
    ['domainName', 'not a domain'],
    ['edgeRegions', 'us-east-1,moon'],
    ['edgeRegions', 'us-east-1,us-east-1'],
    ['edgeRegions', '["us-east-1",'],
    ['edgeMemoryMiB', '64'],
    ['edgeTimeoutSeconds', '60'],
    ['edgeReservedConcurrency', '0'],
    ['edgeName', 'Flagstack Edge'],
  ])('rejects %s=%s with a message naming the key', (key, value) => {
    expect(() => load({ [key]: value })).toThrow(StageConfigError);
    expect(() => load({ [key]: value })).toThrow(`context key "${key}"`);
  });

  it('rejects inconsistent values', () => {
    expect(() => load({ autoscaledMinInstances: 5, autoscaledMaxInstances: 3 })).toThrow('context key "autoscaledMaxInstances"');
    expect(() => load({ certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' })).toThrow('needs domainName');
    expect(() => load({ edgeRegions: 'eu-west-1,ap-southeast-1' })).toThrow('context key "edgeRegions"=["eu-west-1","ap-southeast-1"]: must include region (us-east-1)');
    expect(() => load({ edgeRegions: 'us-east-1,xx-nowhere-9' })).toThrow('unknown region xx-nowhere-9');
  });

  it('stops synth on a bad context value', () => {
    expect(() => buildApp({ singleBoxInstanceType: 'm5.large' })).toThrow(/Invalid stage configuration:\n.*"singleBoxInstanceType"="m5.large"/);
  });
});
