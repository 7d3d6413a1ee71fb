// The one error the stores raise, with a Databricks error code (a member of client/errors.ts's
// `ErrorCode`, whose table gives the HTTP status): the stores sit below client/ and cannot import it.
export type StoreErrorCode = 'RESOURCE_DOES_NOT_EXIST' | 'INVALID_PARAMETER_VALUE' | 'INVALID_STATE';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
