#!/usr/bin/env node
// Entry of the `djobs` command (`npm link`, `npm install -g`): runs the compiled CLI exactly as
// `node dist/cli/index.js` does (npm run build writes dist/). Requiring the module is not enough:
// its main() only runs by itself when it is the main module.
require('../dist/cli/index.js').main();
