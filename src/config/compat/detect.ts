import { isRecord } from './common.js'

export type ConfigFormat = 'native' | 'openai-api-route' | 'openai-forward'

/**
 * Top-level keys only OpenAI-Forward writes (seeds.md A.1.2). `proxy`, `cache` and `log` are left out:
 * the native format has them too, and a native file that merely lacks `routes` must get the native error.
 */
const forwardOnlyKeys = [
  'forward',
  'api_key',
  'rate_limit',
  'req_rate_limit',
  'req_rate_limit_backend',
  'timeout',
  'default_stream_response',
  'ip_whitelist',
  'ip_blacklist',
  'print_chat',
  'benchmark_mode',
  'chat_completion_route',
  'completion_route',
  'embedding_route',
  'custom_general_route',
  'custom_model_config',
  'log_cache_db_info',
  'webui_restart_port',
  'webui_log_port',
]
/** OpenAI-Forward's `cache:` and `log:` sections have keys the native ones do not. */
const forwardCacheKeys = ['root_path_or_url', 'default_request_caching_value', 'custom']
const forwardLogKeys = ['openai', 'general']

function hasAnyKey(section: unknown, keys: readonly string[]): boolean {
  return isRecord(section) && keys.some((key) => key in section)
}

/** Which format a parsed YAML file is in. A `routes` key always means native: neither seed has one. */
export function detectFormat(doc: Record<string, unknown>): ConfigFormat {
  if ('routes' in doc) return 'native'
  if (Array.isArray(doc.upstreams)) return 'openai-api-route'
  if (hasAnyKey(doc, forwardOnlyKeys) || hasAnyKey(doc.cache, forwardCacheKeys) || hasAnyKey(doc.log, forwardLogKeys)) return 'openai-forward'
  return 'native'
}
