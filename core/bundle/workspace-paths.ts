// Where a deployment lives in the workspace, as the Databricks CLI lays it out: `root_path`
// (default `~/.bundle/<bundle>/<target>`, `~` being `/Workspace/Users/<user name>`) holds `files`
// (the synced bundle), `artifacts` (built wheels and jars, under `.internal`), `state` and
// `resources`; a path written as `/Users/…` or `/Shared/…` gets its `/Workspace` prefix.
import { errorAt, type Diagnostic } from './diagnostics';
import { getIn, scalarValue, setIn, stringOf, type Value } from './value';

/** The principal deploying: `workspace.current_user` of the configuration. */
export interface CurrentUser {
  userName: string;
  /** The user name before `@`, lower case, other characters as `_` (`[dev <short_name>]`). */
  shortName: string;
  /** The short name with `-` for other characters (DNS-friendly). */
  domainFriendlyName: string;
}

/** Databricks' short name of a user name (`Jane.Doe@example.com` → `jane_doe`). */
export function shortUserName(userName: string): string {
  const local = userName.split('@')[0] ?? userName;
  return local
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export function currentUserOf(userName: string): CurrentUser {
  const shortName = shortUserName(userName);
  return {
    userName,
    shortName,
    domainFriendlyName: shortName
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/[^a-zA-Z0-9]/g, '-')
      .toLowerCase(),
  };
}

const PATH_FIELDS = ['root_path', 'file_path', 'artifact_path', 'state_path', 'resource_path'] as const;

/**
 * The configuration with `workspace.current_user` and every workspace path set: defaults from the
 * root path, `~/` expanded, `/Workspace` prefixed.
 */
export function defineWorkspacePaths(root: Value, user: CurrentUser): { value: Value; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let out = setIn(root, ['workspace', 'current_user'], {
    kind: 'map',
    entries: new Map<string, Value>([
      ['userName', scalarValue(user.userName)],
      ['short_name', scalarValue(user.shortName)],
      ['domain_friendly_name', scalarValue(user.domainFriendlyName)],
      ['id', scalarValue(user.userName)],
      ['displayName', scalarValue(user.userName)],
    ]),
    keys: new Map(),
    locations: [],
  });
  const name = stringOf(getIn(out, ['bundle', 'name']));
  const target = stringOf(getIn(out, ['bundle', 'target']));
  if (!name) {
    diagnostics.push(errorAt('bundle.name is required: every bundle has a name', root, ['bundle']));
    return { value: out, diagnostics };
  }
  const rootLoc = getIn(out, ['workspace', 'root_path'])?.locations ?? [];
  let rootPath = stringOf(getIn(out, ['workspace', 'root_path'])) ?? `~/.bundle/${name}/${target}`;
  if (rootPath.startsWith('~/')) rootPath = `/Workspace/Users/${user.userName}/${rootPath.slice(2)}`;
  out = setIn(out, ['workspace', 'root_path'], scalarValue(rootPath, rootLoc));
  for (const [field, sub] of [
    ['file_path', 'files'],
    ['artifact_path', 'artifacts'],
    ['state_path', 'state'],
    ['resource_path', 'resources'],
  ] as const) {
    if (!getIn(out, ['workspace', field]))
      out = setIn(out, ['workspace', field], scalarValue(`${rootPath}/${sub}`, rootLoc));
  }
  for (const field of PATH_FIELDS) {
    const v = getIn(out, ['workspace', field]);
    const p = stringOf(v);
    if (p === undefined) continue;
    const expanded = p.startsWith('~/') ? `/Workspace/Users/${user.userName}/${p.slice(2)}` : p;
    const prefixed =
      expanded.startsWith('/') && !expanded.startsWith('/Workspace/') && !expanded.startsWith('/Volumes/')
        ? `/Workspace${expanded}`
        : expanded;
    if (prefixed !== p) out = setIn(out, ['workspace', field], scalarValue(prefixed, v!.locations));
  }
  return { value: out, diagnostics };
}

/** The workspace paths of a resolved configuration. */
export interface WorkspacePaths {
  rootPath: string;
  filePath: string;
  artifactPath: string;
  statePath: string;
  resourcePath: string;
}

export function workspacePathsOf(root: Value): WorkspacePaths {
  const at = (f: string) => stringOf(getIn(root, ['workspace', f])) ?? '';
  return {
    rootPath: at('root_path'),
    filePath: at('file_path'),
    artifactPath: at('artifact_path'),
    statePath: at('state_path'),
    resourcePath: at('resource_path'),
  };
}
