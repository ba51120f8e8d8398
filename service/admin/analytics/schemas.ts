/** Request schema of the analytics route. */
import { Type } from '@sinclair/typebox';

export const AnalyticsQuery = Type.Object(
  { hours: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 24 }) },
  { additionalProperties: false },
);
