/** The edge function's log lines: one JSON object each, errors described, nothing else added. */
import { jsonLineLog } from '../../service/log';

test('writes one JSON line per entry, with level, time, message and fields', () => {
  const lines: string[] = [];
  const log = jsonLineLog((line) => lines.push(line));
  log.info({ environmentId: 3, counts: { banner: 2 } }, 'sdk analytics');
  log.error({ err: new TypeError('boom') }, 'unhandled error');
  const [info, error] = lines.map((line) => JSON.parse(line));
  expect(info).toEqual({
    level: 'info',
    time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    msg: 'sdk analytics',
    environmentId: 3,
    counts: { banner: 2 },
  });
  expect(error).toMatchObject({
    level: 'error',
    msg: 'unhandled error',
    err: { name: 'TypeError', message: 'boom', stack: expect.stringContaining('TypeError: boom') },
  });
});
