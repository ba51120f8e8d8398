import { ConfigError, loadConfig } from '../../service/config';

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
  expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
  expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}=`));
});
