/** Schemas of the documents routes; the document itself is schemas/environment-document.ts's, which the SDKs read too. */
import { Type } from '@sinclair/typebox';
import { Id, strict } from '../schemas';

export const ImportQuery = strict({
  /** Project that a new environment joins; without it a new project is created from the document. */
  project: Type.Optional(Id),
});
