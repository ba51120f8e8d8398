/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  // flagsmith-nodejs ships ESM-only engine sources; the CJS build is what jest loads.
  moduleNameMapper: {},
  testTimeout: 30000,
};
