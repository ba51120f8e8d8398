// Jest snapshot serializer for CloudFormation templates: masks what changes when the bundled service
// code changes but the infrastructure does not, so snapshots change only when the infrastructure does:
// 64-hex asset hashes, the user-data hash CDK appends to the logical id of an instance whose user
// data (which names the bundle's asset) causes replacement, and the code hash in the logical id of a
// Lambda function's current version.
const ASSET_HASH = /[a-f0-9]{64}/g;
const USER_DATA_ID_SUFFIX = /\b([A-Za-z0-9]+[A-F0-9]{8})[a-f0-9]{16}\b/g;
const LAMBDA_VERSION_ID_SUFFIX = /\b([A-Za-z0-9]+CurrentVersion)[A-F0-9]{8}[a-f0-9]{32}\b/g;
const masked = new WeakSet<object>();

const assetHashSerializer: jest.SnapshotSerializerPlugin = {
  test: (value: unknown) => typeof value === 'object' && value !== null && 'Resources' in value && !masked.has(value),
  serialize: (template: object, config, indentation, depth, refs, printer) => {
    const text = JSON.stringify(template)
      .replace(ASSET_HASH, '[ASSET HASH]')
      .replace(LAMBDA_VERSION_ID_SUFFIX, '$1[CODE HASH]')
      .replace(USER_DATA_ID_SUFFIX, '$1[USER DATA HASH]');
    const clean = JSON.parse(text) as object;
    masked.add(clean);
    return printer(clean, config, indentation, depth, refs);
  },
};

export default assetHashSerializer;
