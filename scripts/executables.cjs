// Finding an executable file, for the scripts that install tools when missing (plain Node, no
// dependencies: they run before `npm run build`).
const fs = require('node:fs');
const path = require('node:path');

function executable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The first of `names` found in a PATH directory, as a full path. */
function onPath(...names) {
  for (const name of names)
    for (const dir of (process.env.PATH || '').split(path.delimiter))
      if (dir && executable(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

module.exports = { executable, onPath };
