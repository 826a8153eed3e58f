import type { ChatAssembler } from '../answers/chat-assembler.js'
import type { CacheEntryKind } from './cache-key.js'
import type { RawCopy } from './raw-copy.js'

/** What a cache miss keeps of its answer while it is relayed, to store once it is complete. */
export interface CacheFill {
  key: string
  kind: CacheEntryKind
  ttlMs: number
  /** Set when this request leads a single flight: ends it (identical requests waiting then read the cache). */
  release: (() => void) | undefined
  /** chat: the completion built from the answer. */
  assembler: ChatAssembler | undefined
  /** raw: the bytes as the client got them. */
  copy: RawCopy | undefined
  status: number | undefined
  contentType: string | undefined
}
