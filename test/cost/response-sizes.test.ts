// What a flag list and an environment document weigh on the wire, plain and gzipped: the figures the
// traffic profile's response sizes come from, measured on the real service with a realistic
// 20-flag environment (test/support/seed.ts and thirteen more features), and how they grow with the flags.
import * as http from 'node:http';
import { gzipSync } from 'node:zlib';
import { trafficProfile } from '../../lib/cost/profile';
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { startTestService, type TestService } from '../support/service';

let svc: TestService;
let seeded: SeededEnvironment;

/** Features an application adds besides the seed's: a mix of switches, numbers, strings and JSON. */
const MORE_FEATURES: Record<string, unknown>[] = [
  { name: 'search_v2', default_enabled: true, description: 'The new search backend' },
  { name: 'page_size', default_enabled: true, initial_value: 25 },
  { name: 'checkout_timeout_ms', default_enabled: true, initial_value: 8000 },
  { name: 'welcome_message', default_enabled: true, initial_value: 'Welcome back!' },
  { name: 'recommendations', default_enabled: false, description: 'Show the recommendations carousel' },
  { name: 'payment_provider', default_enabled: true, initial_value: 'stripe' },
  { name: 'maintenance_mode', default_enabled: false, initial_value: false },
  { name: 'api_rate_limit', default_enabled: true, initial_value: 120 },
  { name: 'onboarding_flow', default_enabled: true, initial_value: 'v3' },
  { name: 'support_chat', default_enabled: true },
  { name: 'price_display', default_enabled: true, initial_value: '{"currency": "EUR", "decimals": 2}' },
  { name: 'export_csv', default_enabled: false },
  { name: 'legacy_reports', default_enabled: false, description: 'Old reports page, to be removed' },
];

async function addFeatures(features: Record<string, unknown>[]) {
  for (const feature of features) {
    const { status } = await svc.admin('POST', `/projects/${seeded.projectId}/features`, feature);
    if (status >= 300) throw new Error(`creating ${String(feature.name)}: ${status}`);
  }
}

beforeAll(async () => {
  svc = await startTestService();
  seeded = await seedEnvironment(svc); // 8 features, one of them server-key only: 7 flags for a client key
  await addFeatures(MORE_FEATURES);
});
afterAll(() => svc.stop());

/** A GET as the service sends it: the bytes of its status line and headers, and its body. */
function get(path: string, key: string): Promise<{ headerBytes: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${svc.url}${path}`, { headers: { 'X-Environment-Key': key } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage}`];
        for (let i = 0; i < response.rawHeaders.length; i += 2) lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
        resolve({ headerBytes: Buffer.byteLength(`${lines.join('\r\n')}\r\n\r\n`), body: Buffer.concat(chunks) });
      });
    });
    request.on('error', reject);
  });
}

/** A response's size plain and gzipped (zlib's default level), headers included; gzipped adds `Content-Encoding: gzip` (24 bytes). */
async function measure(path: string, key: string) {
  const { headerBytes, body } = await get(path, key);
  return { plain: headerBytes + body.length, gzipped: headerBytes + 24 + gzipSync(body).length, headerBytes, body };
}

const within = (value: number, measured: number, share: number) => Math.abs(value - measured) <= measured * share;

it("the profile's response sizes are a 20-flag flag list and its environment document as the service sends them", async () => {
  const list = await measure('/api/v1/flags/', seeded.clientKey);
  expect(JSON.parse(list.body.toString())).toHaveLength(20);
  const document = await measure('/api/v1/environment-document/', seeded.serverKey);
  // Measured (2026-12): the list 6,057 bytes plain (360 of headers), 1,248-1,258 gzipped (ids and
  // dates vary); the document 9,618 plain, 2,640 gzipped. The defaults must stay within 5% of them.
  const profile = trafficProfile();
  expect(list.headerBytes).toBeGreaterThan(300);
  expect(within(profile.meanResponseBytes, list.plain, 0.05)).toBe(true);
  expect(within(profile.compressedResponseBytes, list.gzipped, 0.05)).toBe(true);
  expect(within(profile.environmentDocumentBytes, document.plain, 0.05)).toBe(true);
  expect(within(profile.compressedEnvironmentDocumentBytes, document.gzipped, 0.05)).toBe(true);
  // A flag list gzips to about a kilobyte: a fifth of its size.
  expect(list.gzipped / list.plain).toBeLessThan(0.25);
});

it('--flags-per-request 40: the sizes grow in proportion to the flags, headers aside, close to a real 40-flag list', async () => {
  const words = ['cart', 'banner', 'pricing', 'login', 'profile', 'search', 'inbox', 'reports', 'billing', 'upload'];
  const kinds = ['enabled', 'variant', 'limit', 'copy'];
  await addFeatures(
    Array.from({ length: 20 }, (_, i) => ({
      name: `${words[i % 10]}_${kinds[i % 4]}_${i}`,
      default_enabled: i % 3 !== 0,
      ...(i % 4 === 1 && { initial_value: `treatment_${(i * 7919) % 1000}` }),
      ...(i % 4 === 2 && { initial_value: (i * 104_729) % 5000 }),
      ...(i % 4 === 3 && { initial_value: `Try our new ${words[(i * 3) % 10]} today` }),
      ...(i % 5 === 0 && { description: `Owner: team ${words[(i * 7) % 10]}` }),
    })),
  );
  const list = await measure('/api/v1/flags/', seeded.clientKey);
  expect(JSON.parse(list.body.toString())).toHaveLength(40);
  const scaled = trafficProfile({ flagsPerRequest: 40 });
  // 360 header bytes + (5,800 − 360) × 40 / 20 = 11,240; 384 + (1,250 − 384) × 2 = 2,116.
  expect(scaled.meanResponseBytes).toBeCloseTo(11_240, 6);
  expect(scaled.compressedResponseBytes).toBeCloseTo(2_116, 6);
  expect(within(scaled.meanResponseBytes, list.plain, 0.1)).toBe(true);
  // Gzip finds more repetition in a longer list, so in proportion is an upper bound for the compressed
  // size (measured: 11,965 plain, 1,818 gzipped).
  expect(scaled.compressedResponseBytes).toBeGreaterThanOrEqual(list.gzipped);
  expect(within(scaled.compressedResponseBytes, list.gzipped, 0.25)).toBe(true);
  // A size given is kept as given.
  expect(trafficProfile({ flagsPerRequest: 40, meanResponseBytes: 7000 }).meanResponseBytes).toBe(7000);
});
