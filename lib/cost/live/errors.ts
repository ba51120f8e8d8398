/** Live-mode failures, each naming what is missing: credentials, a stack, a service, a metric's data. */

export class LiveError extends Error {}

/** No usable credentials: nothing live can be measured, so the run stops. */
export class CredentialsError extends LiveError {}

/** For `.catch()`: rethrows an AWS SDK error explained (see explainAwsError) as having happened while `doing`. */
export const explainedAs =
  (doing: string) =>
  (error: unknown): never => {
    throw explainAwsError(error, doing);
  };

/** Turns an AWS SDK error into a LiveError that says what to do, or returns it unchanged. */
export function explainAwsError(error: unknown, doing: string): unknown {
  const e = error as { name?: string; message?: string } | undefined;
  const name = e?.name ?? '';
  const message = e?.message ?? String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return new CredentialsError(
      `no AWS credentials while ${doing}: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run without --live for the offline estimate`,
    );
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException'].includes(name)) {
    return new CredentialsError(`the AWS credentials were refused while ${doing} (${name}): refresh them (aws sso login, or new keys)`);
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new LiveError(`access denied while ${doing}: ${message}`);
  }
  return error;
}
