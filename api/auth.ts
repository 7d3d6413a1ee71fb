// Bearer tokens → principals. No token, no access. (Job-level permissions come later.)
import { ApiError } from './errors';

export interface Principal {
  name: string;
  kind: 'user' | 'service_principal';
}

/** token → principal */
export type TokenMap = ReadonlyMap<string, Principal>;

export function authenticate(header: string | undefined, tokens: TokenMap): Principal {
  if (!header)
    throw new ApiError(401, 'UNAUTHENTICATED', 'Credential was not sent or was of an unsupported type for this API.');
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  const principal = m ? tokens.get(m[1]!.trim()) : undefined;
  if (!principal) throw new ApiError(401, 'UNAUTHENTICATED', 'Invalid access token.');
  return principal;
}
