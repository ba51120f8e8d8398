import { loadStageConfig, StageConfigError } from '../../lib/config';
import { buildApp } from './app';

const load = (context: Record<string, unknown>) => loadStageConfig((key) => context[key]);

describe('stage configuration', () => {
  it('has defaults for every round', () => {
    const config = load({});
    expect(config).toMatchObject({ account: '123456789012', region: 'us-east-1', singleBoxInstanceType: 't4g.small', multiAz: true });
    expect(config.domainName).toBeUndefined();
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
  ])('rejects %s=%s with a message naming the key', (key, value) => {
    expect(() => load({ [key]: value })).toThrow(StageConfigError);
    expect(() => load({ [key]: value })).toThrow(`context key "${key}"`);
  });

  it('rejects inconsistent values', () => {
    expect(() => load({ autoscaledMinInstances: 5, autoscaledMaxInstances: 3 })).toThrow('context key "autoscaledMaxInstances"');
    expect(() => load({ certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' })).toThrow('needs domainName');
  });

  it('stops synth on a bad context value', () => {
    expect(() => buildApp({ singleBoxInstanceType: 'm5.large' })).toThrow(/Invalid stage configuration:\n.*"singleBoxInstanceType"="m5.large"/);
  });
});
