/** The Lambda@Edge companion: the body hash a signed request to a function URL needs, and the 413 for bodies it cannot see whole. */
import { createHash } from 'node:crypto';
import type { CloudFrontRequest, CloudFrontRequestEvent } from 'aws-lambda';
import { handler } from '../../service/edge/content-hash';

const event = (request: Partial<CloudFrontRequest>): CloudFrontRequestEvent => ({
  Records: [
    {
      cf: {
        config: { distributionDomainName: 'd1.cloudfront.net', distributionId: 'E1', eventType: 'origin-request', requestId: 'r' },
        request: { clientIp: '203.0.113.1', headers: {}, method: 'POST', querystring: '', uri: '/api/v1/identities/', ...request },
      },
    },
  ],
});
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');

test('adds the SHA-256 of the body, base64 or text', async () => {
  const body = '{"identifier":"ann","traits":[{"trait_key":"age","trait_value":30}]}';
  const fromBase64 = (await handler(
    event({ body: { action: 'read-only', data: Buffer.from(body).toString('base64'), encoding: 'base64', inputTruncated: false } }),
  )) as CloudFrontRequest;
  expect(fromBase64.headers['x-amz-content-sha256']).toEqual([{ key: 'x-amz-content-sha256', value: sha256(body) }]);
  const fromText = (await handler(
    event({ body: { action: 'read-only', data: body, encoding: 'text', inputTruncated: false } }),
  )) as CloudFrontRequest;
  expect(fromText.headers['x-amz-content-sha256'][0].value).toBe(sha256(body));
});

test('a request without a body gets the hash of nothing', async () => {
  const request = (await handler(event({ method: 'GET' }))) as CloudFrontRequest;
  expect(request.headers['x-amz-content-sha256'][0].value).toBe(sha256(''));
});

test("a body CloudFront truncated is refused with 413, in OFREP's shape on OFREP routes", async () => {
  const truncated = { action: 'read-only' as const, data: 'eA==', encoding: 'base64' as const, inputTruncated: true };
  const sdk = await handler(event({ body: truncated }));
  expect(sdk).toMatchObject({
    status: '413',
    body: JSON.stringify({ error: { code: 'BODY_TOO_LARGE', message: 'Request body is too large' } }),
  });
  const single = await handler(event({ uri: '/ofrep/v1/evaluate/flags/banner', body: truncated }));
  expect(JSON.parse((single as { body: string }).body)).toEqual({
    key: 'banner',
    errorCode: 'PARSE_ERROR',
    errorDetails: 'Request body is too large',
  });
  const bulk = await handler(event({ uri: '/ofrep/v1/evaluate/flags', body: truncated }));
  expect(JSON.parse((bulk as { body: string }).body)).toEqual({ errorCode: 'PARSE_ERROR', errorDetails: 'Request body is too large' });
});
