import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  decodeTypedSearchAttributes,
  typedSearchAttributePayloadConverter,
} from '@temporalio/common/lib/converter/payload-search-attributes';
import { TypedSearchAttributeValue } from '@temporalio/common/lib/search-attributes';
import { describe, expect, it } from 'vitest';
import { typedSearchAttribute } from '../../../client/search-attributes';
import { DjobsJobId, DjobsJobName, DjobsViewers } from '../../../workflows/search-attributes';

const typed = (type: 'INT' | 'KEYWORD' | 'KEYWORD_LIST', value: unknown): Payload =>
  typedSearchAttributePayloadConverter.toPayload(new TypedSearchAttributeValue(type, value as never));

describe('typedSearchAttribute', () => {
  // Each case: indexed fields as a describe returns them; the one-key read must agree with decoding them all.
  const cases: [string, Record<string, Payload> | undefined][] = [
    ['no search attributes', undefined],
    ['other attributes only', { DjobsJobName: typed('KEYWORD', 'nightly') }],
    [
      'the job id among others',
      {
        DjobsJobId: typed('INT', 42),
        DjobsJobName: typed('KEYWORD', 'nightly'),
        DjobsViewers: typed('KEYWORD_LIST', ['u:a', 'g:users']),
      },
    ],
    ['the job id as 0', { DjobsJobId: typed('INT', 0) }],
    ['the job id written as a keyword', { DjobsJobId: typed('KEYWORD', '42') }],
    ['the job id without a type (untyped, pre-typed SDKs)', { DjobsJobId: defaultPayloadConverter.toPayload([42]) }],
  ];
  it.each(cases)('%s: as decodeTypedSearchAttributes(...).get reads it', (_name, fields) => {
    for (const key of [DjobsJobId, DjobsJobName, DjobsViewers])
      expect(typedSearchAttribute(fields, key)).toEqual(decodeTypedSearchAttributes(fields).get(key));
  });

  it('reads the job id and the keyword list', () => {
    const fields = { DjobsJobId: typed('INT', 42), DjobsViewers: typed('KEYWORD_LIST', ['u:a']) };
    expect(typedSearchAttribute(fields, DjobsJobId)).toBe(42);
    expect(typedSearchAttribute(fields, DjobsViewers)).toEqual(['u:a']);
    expect(typedSearchAttribute(fields, DjobsJobName)).toBeUndefined();
  });
});
