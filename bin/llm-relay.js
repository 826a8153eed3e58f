#!/usr/bin/env node
// Runs the compiled CLI (npm ci builds dist/ in `prepare`).
import { main } from '../dist/cli/index.js'

await main()
