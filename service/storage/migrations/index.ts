import initial from './001-initial';
import traitFunctions from './002-trait-functions';
import identityTraits from './003-identity-traits';
import boundedIdentityTraits from './004-bounded-identity-traits';
import documentIdentities from './005-document-identities';
import instanceMoves from './006-instance-moves';

/** Versioned migrations, applied in order, each once. Append; never edit one that has shipped. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'trait functions', sql: traitFunctions },
  { version: 3, name: 'identity traits', sql: identityTraits },
  { version: 4, name: 'bounded identity traits', sql: boundedIdentityTraits },
  { version: 5, name: 'document identities', sql: documentIdentities },
  { version: 6, name: 'instance moves', sql: instanceMoves },
];
