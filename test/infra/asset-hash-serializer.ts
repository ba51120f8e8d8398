// Jest snapshot serializer: masks 64-hex asset hashes so snapshots change only when the
// infrastructure does, not when the bundled service code does.
const HASH = /[a-f0-9]{64}/g;

module.exports = {
  test: (value: unknown) => typeof value === 'string' && /[a-f0-9]{64}/.test(value),
  serialize: (value: string) => JSON.stringify(value.replace(HASH, '[ASSET HASH]')),
};
