// The OpenAPI 3.1 document of /v1, generated from the zod schemas the routes parse with (requests)
// and the ones in openapi-schemas.ts (answers). Served at /v1/openapi.json; the API reference page
// of the docs (scripts/docs/generate-api-reference.ts) is written from it.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ZChatCompletionRequest, ZCompletionRequest } from '@/lib/universal/openai/schema';
import { ZCreateJobRequest } from '@/server/services/training/create-job';
import * as S from '@/server/api/rest/openapi-schemas';

export const OPENAPI_VERSION = '0.1.0';

type Method = 'get' | 'post' | 'delete';
type Body = { schema: z.ZodType; contentType?: string };
type Op = {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: Body;
  response: { schema: z.ZodType; description: string; contentType?: string };
  stream?: z.ZodType;
};

const ZJobId = z.object({ id: z.string().describe('The job id, `ftjob-…`.') });
const ZFileId = z.object({ file: z.string().describe('The file id, `file-…`.') });
const ZPage = z.object({ after: z.string().optional().describe('Cursor: the id of the last item of the previous page.'), limit: z.coerce.number().int().min(1).optional() });

const OPERATIONS: Op[] = [
  { method: 'get', path: '/v1/models', operationId: 'listModels', summary: 'Models the key can call: base models, fine-tuned models and aliases.', tag: 'Models', response: { schema: S.ZModelList, description: 'The models.' } },
  { method: 'get', path: '/v1/models/{model}', operationId: 'retrieveModel', summary: 'One model by name.', tag: 'Models', params: z.object({ model: z.string() }), response: { schema: S.ZModel, description: 'The model.' } },
  {
    method: 'post', path: '/v1/chat/completions', operationId: 'createChatCompletion', summary: 'A chat completion; with `stream: true` an event stream of chunks ending in `data: [DONE]`.', tag: 'Chat',
    body: { schema: ZChatCompletionRequest }, response: { schema: S.ZChatCompletion, description: 'The completion.' }, stream: S.ZChatCompletionChunk,
  },
  { method: 'post', path: '/v1/completions', operationId: 'createCompletion', summary: 'A text completion.', tag: 'Completions', body: { schema: ZCompletionRequest }, response: { schema: S.ZCompletion, description: 'The completion.' } },
  {
    method: 'post', path: '/v1/files', operationId: 'createFile', summary: 'Upload a JSONL training file (multipart). Larger files go through the resumable upload at /api/uploads (tus 1.0).', tag: 'Files',
    body: { schema: S.ZFileUpload, contentType: 'multipart/form-data' }, response: { schema: S.ZFile, description: 'The stored file; `status` becomes `processed` or `error` once validated.' },
  },
  {
    method: 'get', path: '/v1/files', operationId: 'listFiles', summary: "The project's uploads and result files, newest first.", tag: 'Files',
    query: ZPage.extend({ purpose: z.string().optional(), order: z.enum(['asc', 'desc']).optional() }), response: { schema: S.ZFileList, description: 'A page of files.' },
  },
  { method: 'get', path: '/v1/files/{file}', operationId: 'retrieveFile', summary: 'One file.', tag: 'Files', params: ZFileId, response: { schema: S.ZFile, description: 'The file.' } },
  { method: 'delete', path: '/v1/files/{file}', operationId: 'deleteFile', summary: 'Delete a file no job still uses.', tag: 'Files', params: ZFileId, response: { schema: S.ZFileDeleted, description: 'Deleted.' } },
  {
    method: 'get', path: '/v1/files/{file}/content', operationId: 'retrieveFileContent', summary: "A file's bytes (JSONL, or the metrics CSV of a result file).", tag: 'Files', params: ZFileId,
    response: { schema: z.string(), description: 'The content.', contentType: 'application/octet-stream' },
  },
  { method: 'post', path: '/v1/fine_tuning/jobs', operationId: 'createFineTuningJob', summary: 'Create a fine-tuning job; its estimated cost is reserved.', tag: 'Fine-tuning', body: { schema: ZCreateJobRequest }, response: { schema: S.ZFineTuningJob, description: 'The job.' } },
  { method: 'get', path: '/v1/fine_tuning/jobs', operationId: 'listFineTuningJobs', summary: "The project's jobs, newest first.", tag: 'Fine-tuning', query: ZPage, response: { schema: S.ZFineTuningJobList, description: 'A page of jobs.' } },
  { method: 'get', path: '/v1/fine_tuning/jobs/{id}', operationId: 'retrieveFineTuningJob', summary: 'One job.', tag: 'Fine-tuning', params: ZJobId, response: { schema: S.ZFineTuningJob, description: 'The job.' } },
  { method: 'post', path: '/v1/fine_tuning/jobs/{id}/cancel', operationId: 'cancelFineTuningJob', summary: 'Cancel a job: queued jobs end at once, running ones after a checkpoint.', tag: 'Fine-tuning', params: ZJobId, response: { schema: S.ZFineTuningJob, description: 'The job.' } },
  { method: 'get', path: '/v1/fine_tuning/jobs/{id}/events', operationId: 'listFineTuningEvents', summary: "A job's events, newest first.", tag: 'Fine-tuning', params: ZJobId, query: ZPage, response: { schema: S.ZFineTuningJobEventList, description: 'A page of events.' } },
  { method: 'get', path: '/v1/fine_tuning/jobs/{id}/checkpoints', operationId: 'listFineTuningCheckpoints', summary: "A job's checkpoints, each callable as a model.", tag: 'Fine-tuning', params: ZJobId, response: { schema: S.ZFineTuningJobCheckpointList, description: 'The checkpoints.' } },
];

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'The request is malformed; `error.param` names the field.',
  '401': 'No API key, or one that is revoked.',
  '402': 'Not enough credits.',
  '404': 'Not found in this project.',
  '429': 'A rate or concurrency limit; retry later.',
};

let cached: ReturnType<OpenApiGeneratorV31['generateDocument']> | null = null;

export function openApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'A project API key, created on the API keys page.' });
  const error = S.ZApiError.meta({ id: 'Error' });
  const named: [string, z.ZodType][] = [
    ['Model', S.ZModel], ['ModelList', S.ZModelList], ['File', S.ZFile], ['FileList', S.ZFileList], ['FileDeleted', S.ZFileDeleted],
    ['FineTuningJob', S.ZFineTuningJob], ['FineTuningJobList', S.ZFineTuningJobList], ['FineTuningJobEvent', S.ZFineTuningJobEvent],
    ['FineTuningJobEventList', S.ZFineTuningJobEventList], ['FineTuningJobCheckpoint', S.ZFineTuningJobCheckpoint],
    ['FineTuningJobCheckpointList', S.ZFineTuningJobCheckpointList], ['ChatCompletion', S.ZChatCompletion], ['ChatCompletionChunk', S.ZChatCompletionChunk],
    ['Completion', S.ZCompletion], ['ChatCompletionRequest', ZChatCompletionRequest], ['CompletionRequest', ZCompletionRequest], ['CreateFineTuningJobRequest', ZCreateJobRequest],
  ];
  const refs = new Map<z.ZodType, z.ZodType>();
  // zod's own metadata names a component (`id`), so the shared schemas need no zod extension.
  for (const [name, schema] of named) refs.set(schema, schema.meta({ id: name }));
  const ref = (schema: z.ZodType) => refs.get(schema) ?? schema;

  for (const op of OPERATIONS) {
    const content: Record<string, { schema: z.ZodType }> = { [op.response.contentType ?? 'application/json']: { schema: ref(op.response.schema) } };
    if (op.stream) content['text/event-stream'] = { schema: ref(op.stream) };
    registry.registerPath({
      method: op.method,
      path: op.path.replace(/\{(\w+)\}/g, '{$1}'),
      operationId: op.operationId,
      summary: op.summary,
      tags: [op.tag],
      security: [{ apiKey: [] }],
      request: {
        ...(op.params ? { params: op.params } : {}),
        ...(op.query ? { query: op.query } : {}),
        ...(op.body ? { body: { required: true, content: { [op.body.contentType ?? 'application/json']: { schema: ref(op.body.schema) } } } } : {}),
      },
      responses: {
        '200': { description: op.response.description, content },
        ...Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([status, description]) => [status, { description, content: { 'application/json': { schema: error } } }])),
      },
    });
  }
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Lathe API',
      version: OPENAPI_VERSION,
      description: "Lathe's OpenAI-compatible REST API: models, chat and text completions, files and fine-tuning jobs. Authenticate with a project API key: `Authorization: Bearer <key>`.",
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
  });
  return cached;
}
