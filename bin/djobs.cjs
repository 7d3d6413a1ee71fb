#!/usr/bin/env node
// Entry of the `djobs` command: runs the compiled CLI (npm run build writes dist/).
require('../dist/cli/index.js');
