// The Node equivalent of dbutils for durable-jobs tasks (preloaded with --require):
// globalThis.dbutils.widgets.get, dbutils.jobs.taskValues.set/get, dbutils.secrets.get/list,
// dbutils.fs (the same implementation as Python's, workspace-fs.cjs; its calls return promises),
// dbutils.notebook.exit. DJOBS_SECRETS (what the run's principal may read) leaves the environment
// at once, so child processes do not inherit it.
'use strict';
const fs = require('node:fs');
const workspaceFs = require('./workspace-fs.cjs');

const defaults = {};
const params = () => JSON.parse(process.env.DJOBS_PARAMS || '{}');
const secrets = JSON.parse(process.env.DJOBS_SECRETS || '{}');
delete process.env.DJOBS_SECRETS;

const dbutils = {
  widgets: {
    get(name) {
      const p = params();
      if (name in p) return p[name];
      if (name in defaults) return defaults[name];
      throw new Error(`InputWidgetNotDefined: No input widget named ${name} is defined`);
    },
    getAll: () => ({ ...defaults, ...params() }),
    text(name, defaultValue = '') {
      defaults[name] = defaultValue;
    },
  },
  jobs: {
    taskValues: {
      set(key, value) {
        if (typeof key !== 'string') throw new TypeError('task value key must be a string');
        const out = process.env.DJOBS_TASK_VALUES_OUT;
        if (out) fs.appendFileSync(out, `${JSON.stringify({ key, value })}\n`);
      },
      get(taskKey, key, defaultValue = undefined, debugValue = undefined) {
        const source = process.env.DJOBS_TASK_VALUES_IN;
        if (!source) {
          if (debugValue === undefined)
            throw new TypeError('Must pass debugValue when calling get outside of a job context.');
          return debugValue;
        }
        const values = JSON.parse(fs.readFileSync(source, 'utf8'));
        const v = values[taskKey] && values[taskKey][key];
        return v === undefined ? defaultValue : v;
      },
    },
  },
  secrets: {
    get(scope, key) {
      const value = secrets[scope]?.[key];
      if (value === undefined)
        throw new Error(
          `Secret does not exist with scope: ${scope} and key: ${key} (or the run's principal has no READ permission on the scope)`
        );
      return value;
    },
    list(scope) {
      return Object.keys(secrets[scope] ?? {})
        .sort()
        .map((key) => ({ key }));
    },
    listScopes() {
      return Object.keys(secrets)
        .sort()
        .map((name) => ({ name }));
    },
  },
  fs: {
    ls: (dir) => workspaceFs.ls(dir),
    async head(file, maxBytes = 65536) {
      const { text, truncated } = await workspaceFs.head(file, maxBytes);
      if (truncated) console.log(`[Truncated to first ${maxBytes} bytes]`);
      return text;
    },
    async put(file, contents, overwrite = false) {
      const { bytes } = await workspaceFs.put(file, contents, overwrite);
      console.log(`Wrote ${bytes} bytes.`);
      return true;
    },
    mkdirs: (dir) => workspaceFs.mkdirs(dir),
    rm: (dir, recurse = false) => workspaceFs.rm(dir, recurse),
    cp: (from, to, recurse = false) => workspaceFs.cp(from, to, recurse),
    mv: (from, to, recurse = false) => workspaceFs.mv(from, to, recurse),
  },
  notebook: {
    exit(value) {
      const out = process.env.DJOBS_NOTEBOOK_EXIT;
      if (out) fs.writeFileSync(out, String(value));
      process.exit(0);
    },
  },
};

globalThis.dbutils = dbutils;
module.exports = { dbutils };
