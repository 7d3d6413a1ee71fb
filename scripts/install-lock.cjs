// A lock directory beside a tool's install directory, so two concurrent installs of one tool
// (parallel test files, engineers sharing a checkout) do not race. Plain Node, no dependencies.
const fs = require('node:fs');

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes `<target>.lock`, waiting while another install holds it, unless `done()` says the tool is
 * installed meanwhile. A lock older than `staleMs` is a crashed install's and is broken. Returns
 * the release function (call it in a `finally`). Sets the process's umask to 022.
 */
function takeInstallLock(target, done, staleMs = 15 * 60_000) {
  // What is installed under the lock is shared: run by every user of the checkout, and some of it
  // (the MLflow environment) read by sandboxed tasks under uids of their own, whatever the umask
  // of the process that asked for it (077 in `djobs dev` and `djobs worker`: DJOBS_HOME is private).
  process.umask(0o022);
  const lock = `${target}.lock`;
  const deadline = Date.now() + staleMs;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (done()) break;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > staleMs || Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true });
      sleep(1000);
    }
  }
  return () => fs.rmSync(lock, { recursive: true, force: true });
}

module.exports = { takeInstallLock };
