import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { chatExport, type ChatExport, type ChatSkip } from '../records/chat-export.js'
import { baseQuery, openRecords, type RecordsFlags } from './records-flags.js'

export interface ConvertFlags extends RecordsFlags {
  /** A file, or '-' for stdout. */
  out: string
}

/** `aifd convert` names its output chat_<route>.json, chat_openai.json for the default route; the seed shows that name. */
export const defaultConvertOut = 'chat_openai.json'

const skipWords: Record<ChatSkip, string> = {
  'not-chat': 'not chat/completions',
  'no-content': 'without content',
  failed: 'failed',
  unreadable: 'with an unreadable request body',
}

/** Writes the chat exchanges among the records as OpenAI-Forward's chat_openai.json: a JSON array, oldest first. */
export async function convertCommand(flags: ConvertFlags): Promise<void> {
  const query = baseQuery(flags)
  const { store } = openRecords(flags)
  const records = await store.query({ ...query, chatOnly: true }).finally(() => store.close())
  const items: ChatExport[] = []
  const skipped = new Map<ChatSkip, number>()
  // The store answers newest first; a chat log reads oldest first, as OpenAI-Forward's log files do.
  for (const record of records.reverse()) {
    const result = chatExport(record)
    if (result.ok) items.push(result.item)
    else skipped.set(result.skip, (skipped.get(result.skip) ?? 0) + 1)
  }
  // Indented by 2, as aifd convert writes it (orjson OPT_INDENT_2).
  const json = `${JSON.stringify(items, null, 2)}\n`
  const target = flags.out === '-' ? 'stdout' : resolve(flags.out)
  if (flags.out === '-') process.stdout.write(json)
  else await writeFile(target, json)
  // The summary goes to stderr so that stdout stays one JSON document.
  const left = [...skipped].map(([skip, count]) => `${count} ${skipWords[skip]}`)
  console.error(`convert: ${items.length} chat exchanges written to ${target}${left.length > 0 ? `; left out ${left.join(', ')}` : ''}`)
}
