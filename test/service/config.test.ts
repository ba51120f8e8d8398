import { loadConfig } from '../../service/config';
import { SettingsError } from '../../service/settings';

test('defaults: port 8000, embedded database in .flagstack', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({ PORT: 8000, HOST: '0.0.0.0', FLAGSTACK_DATA_DIR: '.flagstack', LOG_LEVEL: 'info' });
  expect(config.DATABASE_URL).toBeUndefined();
});

test('values are converted to their types', () => {
  expect(loadConfig({ PORT: '9001', FLAGSTACK_DB_POOL_MAX: '4' })).toMatchObject({ PORT: 9001, FLAGSTACK_DB_POOL_MAX: 4 });
});

test.each([
  ['PORT', 'eighty'],
  ['PORT', '70000'],
  ['LOG_LEVEL', 'loud'],
  ['DATABASE_URL', 'mysql://x'],
  ['FLAGSTACK_ADMIN_TOKEN', 'short'],
  ['FLAGSTACK_DB_POOL_MAX', '0'],
  ['FLAGSTACK_BODY_LIMIT', '10'],
])('a bad %s=%s stops start-up with a message naming it', (name, value) => {
  expect(() => loadConfig({ [name]: value })).toThrow(SettingsError);
  expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}=`));
});

test('the edge publisher needs its table and its region together', () => {
  expect(loadConfig({ FLAGSTACK_EDGE_TABLE: 'flagstack-edge', FLAGSTACK_EDGE_REGION: 'eu-west-1' })).toMatchObject({
    FLAGSTACK_EDGE_TABLE: 'flagstack-edge',
    FLAGSTACK_EDGE_REGION: 'eu-west-1',
    FLAGSTACK_EDGE_CHECK_MS: 30_000,
  });
  expect(() => loadConfig({ FLAGSTACK_EDGE_TABLE: 'flagstack-edge' })).toThrow(
    /FLAGSTACK_EDGE_REGION: FLAGSTACK_EDGE_TABLE and FLAGSTACK_EDGE_REGION go together/,
  );
  expect(() => loadConfig({ FLAGSTACK_EDGE_TABLE: 'a b', FLAGSTACK_EDGE_REGION: 'eu-west-1' })).toThrow(/FLAGSTACK_EDGE_TABLE="a b"/);
  expect(() => loadConfig({ FLAGSTACK_EDGE_TABLE: 'flagstack-edge', FLAGSTACK_EDGE_REGION: 'europe' })).toThrow(
    /FLAGSTACK_EDGE_REGION="europe"/,
  );
});
