// Each variable's value, from the first of these that gives one (as the Databricks CLI chooses,
// https://docs.databricks.com/dev-tools/bundles/variables#set-a-variables-value): `--var
// name=value`, the environment variable `BUNDLE_VAR_<name>`, the target's variable-overrides file
// (`.databricks/bundle/<target>/variable-overrides.json`), the default (a target's override of it
// included). A variable without one is an error where it is declared.
import { errorAt, type Diagnostic } from './diagnostics';
import { fromPlain, getIn, scalarValue, setIn, stringOf, type Value } from './value';

export interface VariableSources {
  /** `--var name=value`, in the order given. */
  cli: Readonly<Record<string, string>>;
  /** The environment (for `BUNDLE_VAR_<name>`). */
  env: Readonly<Record<string, string | undefined>>;
  /** The target's variable-overrides file, parsed, if it exists. */
  file?: Readonly<Record<string, unknown>>;
  /** The file's path as the user knows it (for messages). */
  fileName: string;
}

export const BUNDLE_VAR_PREFIX = 'BUNDLE_VAR_';

/** Parse `--var` arguments (`name=value`). */
export function parseVarArgs(args: readonly string[]): { vars: Record<string, string>; errors: string[] } {
  const vars: Record<string, string> = {};
  const errors: string[] = [];
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) errors.push(`unexpected flag value for variable assignment: ${a}`);
    else vars[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return { vars, errors };
}

/** The configuration with `variables.<name>.value` set for every declared variable. */
export function assignVariables(root: Value, sources: VariableSources): { value: Value; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const declared = getIn(root, ['variables']);
  const names = declared?.kind === 'map' ? [...declared.entries.keys()] : [];
  for (const n of Object.keys(sources.cli))
    if (!names.includes(n))
      diagnostics.push(errorAt(`variable ${n} has not been defined`, root, ['variables'], { locations: [] }));
  let out = root;
  for (const name of names) {
    const decl = getIn(root, ['variables', name])!;
    const at = ['variables', name];
    const complex = stringOf(getIn(decl, ['type'])) === 'complex';
    const envName = BUNDLE_VAR_PREFIX + name;
    const given = sources.cli[name] ?? sources.env[envName];
    if (given !== undefined) {
      if (complex) {
        const how = sources.cli[name] !== undefined ? '--var' : `the environment variable ${envName}`;
        diagnostics.push(errorAt(`setting ${how} is not supported for complex variable ${name}`, root, at));
        continue;
      }
      out = setIn(out, [...at, 'value'], scalarValue(given, decl.locations));
      continue;
    }
    if (getIn(decl, ['lookup'])) {
      diagnostics.push(
        errorAt(
          `variable ${name} is a lookup: durable-jobs cannot look up Databricks workspace objects by name; give it a value (default, --var or ${envName})`,
          root,
          [...at, 'lookup']
        )
      );
      continue;
    }
    const fromFile = sources.file?.[name];
    if (fromFile !== undefined && fromFile !== null) {
      const isComplexValue = typeof fromFile === 'object';
      if (complex !== isComplexValue) {
        diagnostics.push(
          errorAt(
            complex
              ? `variable ${name} is of type complex, but the value in the variable file is not a complex type`
              : `variable ${name} is not of type complex, but the value in the variable file is a complex type`,
            root,
            at
          )
        );
        continue;
      }
      out = setIn(out, [...at, 'value'], fromPlain(fromFile, decl.locations));
      continue;
    }
    const def = getIn(decl, ['default']);
    if (def && !(def.kind === 'scalar' && def.value === null)) {
      if (!complex && def.kind !== 'scalar') {
        diagnostics.push(
          errorAt(
            `variable ${name} is not of type complex, but its default is ${def.kind === 'map' ? 'a map' : 'a sequence'}: declare it with "type: complex"`,
            root,
            [...at, 'default']
          )
        );
        continue;
      }
      out = setIn(out, [...at, 'value'], def);
      continue;
    }
    diagnostics.push(
      errorAt(
        `no value assigned to required variable ${name}. Variables are usually assigned in databricks.yml, and they can be overridden using "--var", the ${envName} environment variable, or ${sources.fileName}`,
        root,
        at
      )
    );
  }
  // A variable left without a value (its problem is reported) reads as "" so that the rest of the
  // bundle is still checked, and every problem comes at once.
  for (const name of names)
    if (!getIn(out, ['variables', name, 'value'])) out = setIn(out, ['variables', name, 'value'], scalarValue(''));
  return { value: out, diagnostics };
}
