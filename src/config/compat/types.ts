import type { ConfigInput } from '../schema.js'

/** A seed's config rewritten in the native shape, plus what the operator should know about the rewrite. */
export interface Translation {
  config: ConfigInput
  /** One line each, printed at start: settings that are ignored, not implemented yet, or now mean something else. */
  notices: string[]
}
