import type { SoakItem } from '../types.js'
import { backends } from './backends.js'
import { clients } from './clients.js'
import { memory } from './memory.js'
import { postgres } from './postgres.js'
import { records } from './records.js'
import { upstreamFaults } from './upstream-faults.js'

/** Every item, in the order the issue lists them. */
export const soakItems: readonly SoakItem[] = [memory, records, backends, postgres, upstreamFaults, clients]
