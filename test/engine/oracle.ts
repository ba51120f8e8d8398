/**
 * The oracle: Flagsmith's own engine inside the published flagsmith-nodejs SDK, evaluating offline
 * (through its public LocalFileHandler) from an environment document.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flagsmith, LocalFileHandler } from 'flagsmith-nodejs';
import { pino } from 'pino';
import type { EnvironmentDocument, TraitValue } from '../../service/schemas/environment-document';

/** What is compared of a flag. */
export interface ComparableFlag {
  featureId: number;
  enabled: boolean;
  value: unknown;
  reason: string | undefined;
}

const directory = mkdtempSync(join(tmpdir(), 'flagstack-oracle-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const silent = pino({ level: 'silent' });
let documents = 0;

export interface Oracle {
  readonly flagsmith: Flagsmith;
  environmentFlags(): Promise<Record<string, ComparableFlag>>;
  identityFlags(identifier: string, traits: Readonly<Record<string, TraitValue>>): Promise<Record<string, ComparableFlag>>;
}

export function oracle(document: EnvironmentDocument): Oracle {
  const file = join(directory, `environment-${documents++}.json`);
  writeFileSync(file, JSON.stringify(document));
  const flagsmith = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file), logger: silent });
  rmSync(file);
  return {
    flagsmith,
    environmentFlags: async () => byName((await flagsmith.getEnvironmentFlags()).allFlags()),
    identityFlags: async (identifier, traits) => byName((await flagsmith.getIdentityFlags(identifier, { ...traits })).allFlags()),
  };
}

/** Flags by name (the SDK orders flags as object keys: names that look like integers first). */
export const byName = (
  flags: ReadonlyArray<{ featureName: string; featureId: number; enabled: boolean; value: unknown; reason?: string }>,
): Record<string, ComparableFlag> => {
  const result: Record<string, ComparableFlag> = {};
  for (const flag of flags) {
    result[flag.featureName] = { featureId: flag.featureId, enabled: flag.enabled, value: flag.value ?? null, reason: flag.reason };
  }
  return result;
};
