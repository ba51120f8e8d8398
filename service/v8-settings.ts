/**
 * V8 settings of the service process, applied on import: server.ts imports this module first, before
 * anything else has allocated much.
 *
 * Allocation-site pretenuring is off. V8 watches the objects made at each object or array literal and,
 * when nearly all of them outlive a young-generation collection, allocates that literal's objects in
 * the old generation from then on. Under load a server's per-request objects are alive across a
 * collection whenever requests are in flight, so a hot literal can be pretenured by chance; then every
 * request fills the old generation, and a full mark-compact runs several times a second for the rest of
 * the process's life. Measured (`npm run bench`, docs/performance.md): 10 of 54 runs went that way,
 * with 27–30 full mark-compacts in a 6 s flag-read scenario instead of 0–1 and 35–38 µs of CPU per
 * request instead of 21–25; none of 24 did with pretenuring off, at no cost to the normal runs.
 *
 * Node calls flags set after start-up unpredictable in general; this one is read at each
 * young-generation collection, and test/service/v8-settings.test.ts checks that it takes effect.
 *
 * A command-line choice wins: `node --allocation-site-pretenuring dist/service/server.js` keeps V8's default.
 */
import { setFlagsUnlessChosen } from './v8-flags';

setFlagsUnlessChosen(['--no-allocation-site-pretenuring'], process.execArgv);
