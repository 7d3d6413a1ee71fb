// The failure converter of every durable-jobs process, workflow sandbox included (bundled through
// `failureConverterPath`): a failure's message and stack trace travel as an encoded attribute
// payload, so the payload codec encrypts them like any other payload. History shows
// "Encoded failure" in their place.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
