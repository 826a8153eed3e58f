/**
 * A chat request in canonical form: OpenAI's chat completions request as typed data, with a slot
 * for what has no place in it (`extra`). Client dialects read their requests into it
 * (dialects/openai-chat/request.ts), translating providers write their native requests from it, so
 * no provider parses another's JSON and no field is lost without someone deciding so.
 */
export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  stream: boolean
  /** max_completion_tokens, else max_tokens. */
  maxTokens?: number
  temperature?: number
  topP?: number
  stop?: string[]
  /** How many choices: more than 1 is refused by providers that give one. */
  n?: number
  tools?: ToolDefinition[]
  toolChoice?: ToolChoice
  parallelToolCalls?: boolean
  responseFormat?: ResponseFormat
  reasoningEffort?: string
  user?: string
  /** The client asked for usage in its stream (stream_options.include_usage). */
  includeUsage: boolean
  /**
   * Body fields with no slot above (seed, logit_bias, top_k, provider extensions, fields OpenAI adds
   * tomorrow): each provider passes on, drops and names (x-relay-dropped-params), or refuses each one.
   */
  extra: Record<string, unknown>
  /** Fields of the client's request that no other API has: left out and named in x-relay-dropped-params. */
  dropped?: string[]
  /**
   * What the client called the fields a provider may name (dropped or refused), by their names here
   * (OpenAI chat's): `response_format` is `text.format` to a Responses client, `stop` is
   * `stop_sequences` to an Anthropic one. A field not listed has the same name in both.
   */
  clientNames?: Readonly<Record<string, string>>
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage

/** system and developer messages: instructions, wherever they stand. */
export interface SystemMessage {
  role: 'system'
  text: string
}

export interface UserMessage {
  role: 'user'
  content: ContentPart[]
  name?: string
}

export interface AssistantMessage {
  role: 'assistant'
  /** Text parts only (a refusal is text too). */
  content: TextPart[]
  toolCalls: ToolCallPart[]
  /** reasoning_content the client sent back (foreign reasoning is dropped by providers that verify it). */
  reasoning?: string
}

export interface ToolMessage {
  role: 'tool'
  toolCallId: string
  content: ContentPart[]
}

export type ContentPart = TextPart | ImagePart | OtherPart

export interface TextPart {
  type: 'text'
  text: string
}

/** An image as a URL; a data URL is also given split into its media type and base64 data. */
export interface ImagePart {
  type: 'image'
  url: string
  detail?: string
  inline?: { mediaType: string; data: string }
}

/** A part no canonical slot holds (input_audio, file, ...), kept by its type for the provider to take or refuse. */
export interface OtherPart {
  type: 'other'
  kind: string
  value: Record<string, unknown>
}

export interface ToolCallPart {
  id: string
  name: string
  /** The arguments as JSON text, as the model wrote them. */
  arguments: string
}

export interface ToolDefinition {
  name: string
  description?: string
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>
  strict?: boolean
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string }

export type ResponseFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean }

/** The text of parts, joined; other parts are left out. */
export function textOf(parts: readonly ContentPart[]): string {
  let text = ''
  for (const part of parts) if (part.type === 'text') text += part.text
  return text
}
