#!/usr/bin/env node
// The relief command: the compiled CLI (packages/cli/dist, built by `npm run build`).
import '../dist/main.js';
