/**
 * Prompt templates: a chat as the text inputs of a Replicate language model (translation.md §1).
 * Replicate's models take one `prompt` (and often a `system_prompt`), and apply their own chat
 * template around it: a whole conversation must be rendered into the prompt before it is sent.
 */

/** One message as text (tools and images were refused before). */
export interface Turn {
  role: 'system' | 'user' | 'assistant'
  text: string
}

export type PromptTemplate = 'mistral' | 'llama3' | 'chatml' | 'none'

/** The model inputs a template gives. */
export interface PromptInputs {
  prompt: string
  system_prompt?: string
  /**
   * Sent as `{prompt}` when the prompt is rendered here: Replicate's language models wrap the prompt
   * in their own template otherwise (cog-vllm's `prompt_template`), which would render it twice.
   */
  prompt_template?: string
}

export function renderPrompt(template: PromptTemplate, turns: readonly Turn[]): PromptInputs {
  switch (template) {
    case 'mistral':
      return { prompt: mistral(turns), prompt_template: '{prompt}' }
    case 'llama3':
      return { prompt: llama3(turns), prompt_template: '{prompt}' }
    case 'chatml':
      return { prompt: chatml(turns), prompt_template: '{prompt}' }
    case 'none':
      return plain(turns)
  }
}

/**
 * Mistral's `[INST]` format exactly as openai-api-route rendered it (seeds.md B.4.9, replicate.go at
 * 3385f9a): system messages wait for the next user message and go before the user text pending then;
 * consecutive user messages join with `\n`; each assistant message closes a turn
 * `<s> [INST] {user} [/INST] {assistant} </s>` (`<s> {assistant} </s>` with no user text pending),
 * closed turns join with `\n`; a trailing user text opens `<s> [INST] {user} [/INST] `, appended
 * without a `\n`. One change: a system message with no user message after it, which the seed dropped,
 * goes into that last `[INST]`.
 */
function mistral(turns: readonly Turn[]): string {
  let prompt = ''
  let system = ''
  let user = ''
  for (const turn of turns) {
    if (turn.role === 'system') {
      system = system === '' ? turn.text : `${system}\n${turn.text}`
    } else if (turn.role === 'user') {
      user = user === '' ? turn.text : `${user}\n${turn.text}`
      if (system !== '') {
        user = `${system}\n${user}`
        system = ''
      }
    } else {
      if (prompt !== '') prompt += '\n'
      prompt += user !== '' ? `<s> [INST] ${user} [/INST] ${turn.text} </s>` : `<s> ${turn.text} </s>`
      user = ''
    }
  }
  if (system !== '') user = user === '' ? system : `${system}\n${user}`
  if (user !== '') prompt += `<s> [INST] ${user} [/INST] `
  return prompt
}

/** Llama 3 Instruct: each message its own header-delimited turn, ending with an open assistant header (Meta's chat format, cog-vllm's llama-3-instruct template). */
function llama3(turns: readonly Turn[]): string {
  let prompt = '<|begin_of_text|>'
  for (const turn of turns) prompt += `<|start_header_id|>${turn.role}<|end_header_id|>\n\n${turn.text}<|eot_id|>`
  return `${prompt}<|start_header_id|>assistant<|end_header_id|>\n\n`
}

/** ChatML (Qwen, many fine-tunes): `<|im_start|>{role}\n{text}<|im_end|>` per message, ending with an open assistant turn. */
function chatml(turns: readonly Turn[]): string {
  let prompt = ''
  for (const turn of turns) prompt += `<|im_start|>${turn.role}\n${turn.text}<|im_end|>\n`
  return `${prompt}<|im_start|>assistant\n`
}

/**
 * No markup: the model applies its own template. System messages go to `system_prompt` (joined by a
 * blank line); a conversation of user messages only is their text (joined by `\n`), and one with
 * assistant turns is a plain transcript, `User: …` and `Assistant: …` separated by blank lines.
 */
function plain(turns: readonly Turn[]): PromptInputs {
  const system = turns.filter((turn) => turn.role === 'system').map((turn) => turn.text)
  const conversation = turns.filter((turn) => turn.role !== 'system')
  const prompt = conversation.every((turn) => turn.role === 'user')
    ? conversation.map((turn) => turn.text).join('\n')
    : conversation.map((turn) => `${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.text}`).join('\n\n')
  return system.length > 0 ? { prompt, system_prompt: system.join('\n\n') } : { prompt }
}
