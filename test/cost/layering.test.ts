// The stacks do not depend on the cost tool: what both need (the CPU per request) is in lib/capacity-figures.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';

test('no module of lib/stages imports lib/cost', () => {
  const folder = path.join(__dirname, '..', '..', 'lib', 'stages');
  const importers = fs
    .readdirSync(folder)
    .filter((file) => file.endsWith('.ts'))
    .filter((file) => /from '\.\.\/cost[/']/.test(fs.readFileSync(path.join(folder, file), 'utf8')));
  expect(importers).toEqual([]);
});
