/** @type {import('jest').Config} */
// Run through `npm test`: PGlite loads its WebAssembly with a dynamic import, which jest's module
// sandbox allows only under --experimental-vm-modules.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 30000,
};
