// Registers durable-jobs' custom search attributes if the namespace lacks them. Idempotent, so
// every worker and client start may call it; a concurrent registration by another process is fine.
import type { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Payload } from '@temporalio/common';
import type {
  SearchAttributeKey,
  SearchAttributeType,
  TypedSearchAttributeValue,
} from '@temporalio/common/lib/search-attributes';
import { typedSearchAttributePayloadConverter } from '@temporalio/common/lib/converter/payload-search-attributes';
import { isValidValueForType } from '@temporalio/common/lib/search-attributes';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

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

export async function ensureSearchAttributes(
  connection: Connection | NativeConnection,
  namespace: string
): Promise<void> {
  const operator = connection.operatorService;
  const existing = await operator.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = indexedValueTypes(ALL_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name)));
  if (Object.keys(missing).length === 0) return;
  try {
    await operator.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    // Another process may have registered them first: then they are all there now.
    const now = await operator.listSearchAttributes({ namespace });
    if (!Object.keys(missing).every((name) => Object.hasOwn(now.customAttributes ?? {}, name))) throw err;
  }
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
