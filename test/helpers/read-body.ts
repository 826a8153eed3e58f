/** An answer's body read to its end as text, and whether it broke off (a cut connection) instead of ending. */
export async function readText(body: AsyncIterable<unknown>): Promise<{ text: string; broken: boolean }> {
  let text = ''
  try {
    for await (const chunk of body) text += (chunk as Buffer).toString('utf8')
  } catch {
    return { text, broken: true }
  }
  return { text, broken: false }
}
