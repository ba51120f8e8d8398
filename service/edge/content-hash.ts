/**
 * Lambda@Edge (origin request) on the CloudFront behaviours that carry bodies. CloudFront signs its
 * requests to the regional function URLs (origin access control), and Lambda accepts a signed request
 * only with the SHA-256 of its body in `x-amz-content-sha256`, which SDK clients do not send: this
 * adds it. A body beyond the 1 MB CloudFront hands to Lambda@Edge is refused with the 413 the service
 * gives an oversized body. Built by esbuild into dist/edge-content-hash/index.js.
 */
import { createHash } from 'node:crypto';
import type { CloudFrontRequestEvent, CloudFrontRequestResult } from 'aws-lambda';
import { errorBody, HttpError } from '../errors';

const TOO_LARGE = 'Request body is too large';

// eslint-disable-next-line @typescript-eslint/require-await -- Lambda@Edge runs a handler that returns a promise; this one awaits nothing
export async function handler(event: CloudFrontRequestEvent): Promise<CloudFrontRequestResult> {
  const request = event.Records[0].cf.request;
  const body = request.body;
  if (body?.inputTruncated) {
    const origin = request.headers.origin?.[0]?.value;
    // OFREP clients parse OFREP's error shape; everyone else gets the service's.
    const flagKey = /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)\/?$/.exec(request.uri)?.[1];
    const payload = request.uri.startsWith('/ofrep/')
      ? { ...(flagKey === undefined ? {} : { key: decodeURIComponent(flagKey) }), errorCode: 'PARSE_ERROR', errorDetails: TOO_LARGE }
      : errorBody(new HttpError(413, 'BODY_TOO_LARGE', TOO_LARGE));
    return {
      status: '413',
      statusDescription: 'Payload Too Large',
      headers: {
        'content-type': [{ key: 'Content-Type', value: 'application/json; charset=utf-8' }],
        // A browser may read why its request was refused: the answer holds no data of anyone's.
        ...(origin
          ? {
              'access-control-allow-origin': [{ key: 'Access-Control-Allow-Origin', value: origin }],
              vary: [{ key: 'Vary', value: 'Origin' }],
            }
          : {}),
      },
      body: JSON.stringify(payload),
    };
  }
  const data = body?.data ? Buffer.from(body.data, body.encoding === 'base64' ? 'base64' : 'utf8') : Buffer.alloc(0);
  request.headers['x-amz-content-sha256'] = [{ key: 'x-amz-content-sha256', value: createHash('sha256').update(data).digest('hex') }];
  return request;
}
