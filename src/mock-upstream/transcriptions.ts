import type { IncomingHttpHeaders } from 'node:http'
import { Busboy } from '@fastify/busboy'
import { jsonAnswer, type BodyAnswer } from './answer.js'
import { invalidRequest } from './openai-error.js'

// Formats OpenAI answers as plain text rather than JSON.
const TEXT_FORMATS = new Set(['text', 'srt', 'vtt'])

/**
 * POST …/audio/transcriptions: parses the multipart form and answers with a text naming the
 * model field and the file's size, so a test can tell the upload arrived whole.
 */
export function transcriptionAnswer(headers: IncomingHttpHeaders, body: Buffer): Promise<BodyAnswer> {
  const contentType = headers['content-type']
  if (contentType === undefined || !contentType.toLowerCase().startsWith('multipart/form-data')) {
    return Promise.resolve(invalidRequest('Expected a multipart/form-data body.', 'invalid_content_type'))
  }
  return new Promise((resolve) => {
    const fields = new Map<string, string>()
    let fileBytes: number | undefined
    let form
    try {
      form = Busboy({ headers: { 'content-type': contentType } })
    } catch (error) {
      resolve(invalidRequest(`Could not read the multipart form: ${String(error)}`, 'invalid_multipart'))
      return
    }
    form.on('field', (name, value) => fields.set(name, value))
    form.on('file', (name, file) => {
      let bytes = 0
      file.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      if (name === 'file') file.on('end', () => (fileBytes = bytes))
    })
    form.on('error', (error) => resolve(invalidRequest(`Could not read the multipart form: ${String(error)}`, 'invalid_multipart')))
    form.on('finish', () => resolve(answer(fields, fileBytes)))
    form.end(body)
  })
}

function answer(fields: ReadonlyMap<string, string>, fileBytes: number | undefined): BodyAnswer {
  const model = fields.get('model')
  if (model === undefined || model === '') {
    return invalidRequest('You must provide a model parameter.', 'missing_required_parameter', 'model')
  }
  if (fileBytes === undefined) return invalidRequest('You must provide a file.', 'missing_required_parameter', 'file')
  const text = `transcribed ${fileBytes} bytes with ${model}`
  if (TEXT_FORMATS.has(fields.get('response_format') ?? '')) {
    return { kind: 'body', status: 200, contentType: 'text/plain; charset=utf-8', body: `${text}\n` }
  }
  return jsonAnswer(200, { text })
}
