#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8'

// Set before any of the gateway's code runs. V8 may decide at warm-up to allocate a hot site's objects
// straight in the old generation (allocation-site pretenuring); under a gateway's load most processes
// of one build then ran at 60-90 us of CPU a request and a few at 48, by chance. Off, every process
// measured ran at 47-61 us (docs/architecture.md, "V8 flags").
setFlagsFromString('--no-allocation-site-pretenuring')
// Runs the compiled CLI (npm ci builds dist/ in `prepare`).
const { main } = await import('../dist/cli/index.js')
await main()
