// durable-jobs' custom search attributes as Temporal's operator API takes them (registered by
// client/temporal-setup.ts), and one attribute read from a described execution.
import type { Payload } from '@temporalio/common';
import type {
  SearchAttributeKey,
  SearchAttributeType,
  TypedSearchAttributeValue,
} from '@temporalio/common/lib/search-attributes';
import { typedSearchAttributePayloadConverter } from '@temporalio/common/lib/converter/payload-search-attributes';
import { isValidValueForType } from '@temporalio/common/lib/search-attributes';
import { temporal } from '@temporalio/proto';

const INDEXED_TYPE: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Name → indexed type of these search attributes, as `addSearchAttributes` takes them. */
export function indexedValueTypes(
  keys: readonly { name: string; type: string }[]
): Record<string, temporal.api.enums.v1.IndexedValueType> {
  return Object.fromEntries(keys.map((key) => [key.name, INDEXED_TYPE[key.type]!]));
}

/**
 * One search attribute of a described execution: what `decodeTypedSearchAttributes(fields).get(key)`
 * gives, without decoding the others (runs/get's describes need only the job id).
 */
export function typedSearchAttribute<T extends SearchAttributeType>(
  indexedFields: Record<string, Payload> | null | undefined,
  key: SearchAttributeKey<T>
): SearchAttributeValueOf<T> | undefined {
  const payload = indexedFields?.[key.name];
  if (!payload) return undefined;
  const attr = typedSearchAttributePayloadConverter.fromPayload<
    { type: SearchAttributeType; value: unknown } | undefined
  >(payload);
  // Kept as decodeTypedSearchAttributes keeps it (valid for the type it was written with), then read as get reads it.
  if (!attr || !isValidValueForType(attr.type, attr.value) || !isValidValueForType(key.type, attr.value))
    return undefined;
  return attr.value;
}

/** The value type of a search attribute type (INT: number, KEYWORD: string, …). */
type SearchAttributeValueOf<T extends SearchAttributeType> = TypedSearchAttributeValue<T>['value'];
