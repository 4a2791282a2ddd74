// The one error catalogue. Every error Lathe answers has a class (its HTTP status, OpenAI `type`
// and tRPC code) and, where a client may act on it, a machine code with a sentence that says what
// to do. tRPC (server/api/trpc.ts), the OpenAI-compatible REST API (server/api/rest/errors.ts), the
// inference server (gpu-runner/inference) and clients all read this table. Browser-safe: it
// imports nothing.

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error';

/** The subset of tRPC's error codes Lathe answers with (names as @trpc/server spells them). */
export type TrpcErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'PAYMENT_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'CLIENT_CLOSED_REQUEST'
  | 'INTERNAL_SERVER_ERROR'
  | 'BAD_GATEWAY'
  | 'SERVICE_UNAVAILABLE';

interface ErrorClassSpec {
  status: number;
  /** The status on the OpenAI-compatible API where it differs: OpenAI's clients know no 412. */
  openaiStatus?: number;
  type: OpenAIErrorType;
  trpc: TrpcErrorCode;
  /** What a caller can do about any error of this class. */
  action: string;
}

/** Error classes: how each surface answers an error, whatever its machine code. */
export const ERROR_CLASSES = {
  BAD_REQUEST: { status: 400, type: 'invalid_request_error', trpc: 'BAD_REQUEST', action: 'Correct the request as the message says and send it again.' },
  UNAUTHORIZED: { status: 401, type: 'authentication_error', trpc: 'UNAUTHORIZED', action: 'Sign in, or send a valid API key as `Authorization: Bearer <key>`.' },
  PAYMENT_REQUIRED: { status: 402, type: 'insufficient_quota', trpc: 'PAYMENT_REQUIRED', action: 'Add credits to the organization (Usage & billing), then try again.' },
  FORBIDDEN: { status: 403, type: 'permission_error', trpc: 'FORBIDDEN', action: 'Ask an owner or admin of the organization for the access this needs.' },
  NOT_FOUND: { status: 404, type: 'not_found_error', trpc: 'NOT_FOUND', action: 'Check the id or name: it may be misspelled, deleted, or in another project.' },
  METHOD_NOT_SUPPORTED: { status: 405, type: 'invalid_request_error', trpc: 'METHOD_NOT_SUPPORTED', action: 'Use the HTTP method the API reference gives for this path.' },
  CONFLICT: { status: 409, type: 'invalid_request_error', trpc: 'CONFLICT', action: 'Reload the resource: its state changed, or the name is taken.' },
  PRECONDITION_FAILED: { status: 412, openaiStatus: 400, type: 'invalid_request_error', trpc: 'PRECONDITION_FAILED', action: 'Do the step the message names first, then try again.' },
  PAYLOAD_TOO_LARGE: { status: 413, type: 'invalid_request_error', trpc: 'PAYLOAD_TOO_LARGE', action: 'Send a smaller body, or upload large files through the resumable upload.' },
  TOO_MANY_REQUESTS: { status: 429, type: 'rate_limit_error', trpc: 'TOO_MANY_REQUESTS', action: 'Wait for the seconds in Retry-After, then try again.' },
  CLIENT_CLOSED_REQUEST: { status: 499, type: 'invalid_request_error', trpc: 'CLIENT_CLOSED_REQUEST', action: 'The client went away before the answer; nothing to do.' },
  INTERNAL: { status: 500, type: 'server_error', trpc: 'INTERNAL_SERVER_ERROR', action: 'Try again; if it keeps happening, the operator will find the cause in the server log.' },
  BAD_GATEWAY: { status: 502, type: 'server_error', trpc: 'BAD_GATEWAY', action: 'Try again: a runner went away while it held the request.' },
  SERVICE_UNAVAILABLE: { status: 503, type: 'server_error', trpc: 'SERVICE_UNAVAILABLE', action: 'Try again shortly, or ask the operator to fix what the message names.' },
} as const satisfies Record<string, ErrorClassSpec>;

export type ErrorClass = keyof typeof ERROR_CLASSES;

interface ErrorCodeSpec {
  class: ErrorClass;
  /** Where OpenAI's own API answers this code with another `type` than the class's. */
  type?: OpenAIErrorType;
  action?: string;
}

/** Machine codes (the `code` of an OpenAI-shaped error, `data.reason` in tRPC) and their class. */
export const ERROR_CODES = {
  // requests
  invalid_request: { class: 'BAD_REQUEST' },
  invalid_json: { class: 'BAD_REQUEST', action: 'Send a JSON body with `Content-Type: application/json`.' },
  missing_required_parameter: { class: 'BAD_REQUEST' },
  unsupported_parameter: { class: 'BAD_REQUEST', action: 'Leave the parameter out: this server cannot honour it.' },
  unknown_parameter: { class: 'BAD_REQUEST', action: 'Remove the parameter or correct its spelling: the API reference lists the ones this endpoint takes.' },
  invalid_email: { class: 'BAD_REQUEST' },
  weak_password: { class: 'BAD_REQUEST', action: 'Choose a longer password.' },
  invalid_purpose: { class: 'BAD_REQUEST', action: 'Upload with `purpose: "fine-tune"` for training, or `purpose: "evals"` for an eval set.' },
  wrong_file_purpose: { class: 'BAD_REQUEST', action: 'Use a file uploaded for this use: `fine-tune` files train, `evals` files evaluate.' },
  invalid_grader: { class: 'BAD_REQUEST', action: 'Correct the grader as the message says: a pattern that compiles, or a JSON schema that Ajv accepts.' },
  judge_not_deployed: { class: 'PRECONDITION_FAILED', action: 'Deploy the judge model (Models page, or `serving.deploy`), wait until it is ready, then start the evaluation again.' },
  invalid_checksum: { class: 'BAD_REQUEST' },
  checksum_mismatch: { class: 'BAD_REQUEST', action: 'Upload the file again: it changed on the way.' },
  incomplete_upload: { class: 'BAD_REQUEST', action: 'Finish the upload (the resumable upload picks up where it stopped), then try again.' },
  request_too_large: { class: 'PAYLOAD_TOO_LARGE', action: 'Send a smaller body, or ask the operator to raise LATHE_MAX_JSON_BODY_BYTES; upload datasets through /v1/files or the resumable upload.' },
  file_too_large: { class: 'PAYLOAD_TOO_LARGE', type: 'invalid_request_error', action: 'Split the file, or ask the operator to raise the upload limit.' },
  method_not_allowed: { class: 'METHOD_NOT_SUPPORTED' },
  client_closed: { class: 'CLIENT_CLOSED_REQUEST' },
  generation_abandoned: { class: 'CONFLICT', action: 'Send the request again under a new X-Lathe-Generation-Id: its caller gave this one up.' },
  stop: { class: 'BAD_REQUEST' },
  invalid_prompt: { class: 'BAD_REQUEST' },
  context_length_exceeded: { class: 'BAD_REQUEST', action: 'Shorten the messages or lower max_tokens to fit the model\'s context.' },
  chat_template_error: { class: 'BAD_REQUEST', action: 'Check the messages against the model\'s chat template (roles, order).' },
  chat_template_missing: { class: 'BAD_REQUEST', action: 'Use /v1/completions, or a model whose tokenizer has a chat template.' },
  invalid_adapter_name: { class: 'BAD_REQUEST' },
  gguf_not_found: { class: 'BAD_REQUEST', action: 'Check the GGUF path on the runner.' },
  bad_gguf: { class: 'BAD_REQUEST', action: 'Convert the model again: the GGUF is damaged or not a GGUF.' },
  adapter_mismatch: { class: 'BAD_REQUEST', action: 'Use an adapter trained on this base model.' },
  // accounts and access
  unauthorized: { class: 'UNAUTHORIZED', type: 'invalid_request_error' },
  invalid_api_key: { class: 'UNAUTHORIZED', action: 'Create a key under API keys and send it as `Authorization: Bearer <key>`.' },
  missing_api_key: { class: 'UNAUTHORIZED', action: 'Send an API key as `Authorization: Bearer <key>`.' },
  invalid_token: { class: 'BAD_REQUEST', action: 'Ask for a new link: this one is used or expired.' },
  wrong_password: { class: 'BAD_REQUEST' },
  email_taken: { class: 'CONFLICT', action: 'Sign in instead, or reset the password of that account.' },
  reserved_email: { class: 'BAD_REQUEST', action: 'Sign up with your own e-mail address: this one belongs to the platform administrator.' },
  admin_email_taken: { class: 'CONFLICT', action: 'Delete the account that holds admin@lathe.local (`lathe user delete --email admin@lathe.local`), then sign in with the admin token again.' },
  email_unverified: { class: 'FORBIDDEN', action: 'Open the verification link mailed to you (Settings → Profile sends a new one), then try again.' },
  oauth_email_unverified: { class: 'FORBIDDEN', action: 'Verify the address with GitHub or Google first, or sign up with e-mail and password.' },
  owner_only: { class: 'FORBIDDEN', action: 'Ask an owner of the organization: only owners grant or revoke ownership.' },
  name_taken: { class: 'CONFLICT', action: 'Choose another name.' },
  hub_token_missing: { class: 'PRECONDITION_FAILED', action: "An owner or admin adds a Hugging Face token with write access under Settings → Organization, then push again." },
  hub_push_unavailable: { class: 'PRECONDITION_FAILED', action: 'Wait for the fine-tuning job to succeed: a model is pushed with its adapter.' },
  hub_token_unreadable: { class: 'PRECONDITION_FAILED', action: "Store the organization's Hugging Face token again (Settings → Organization)." },
  hub_unreachable: { class: 'SERVICE_UNAVAILABLE', action: 'Try again when the Hugging Face Hub answers; if it never does, the operator checks that this server reaches the Hub (or HF_ENDPOINT).' },
  outside_import_root: { class: 'FORBIDDEN', action: "Import from your organization's own folder under the import root the operator configured (LATHE_IMPORT_ROOT/<organization id>)." },
  rate_limit_exceeded: { class: 'TOO_MANY_REQUESTS' },
  // money
  insufficient_credits: { class: 'PAYMENT_REQUIRED', action: 'Add credits on the Usage & billing page, or lower the epochs or the dataset size.' },
  insufficient_quota: { class: 'PAYMENT_REQUIRED' },
  spend_cap_reached: { class: 'PAYMENT_REQUIRED', action: 'Wait for next month, or ask an owner to raise the monthly spending cap (Usage & billing for the organization, API keys for a key).' },
  paid_usage_frozen: { class: 'PAYMENT_REQUIRED', action: 'Contact the operator of this installation: paid usage stays frozen while a payment dispute is open.' },
  organization_suspended: { class: 'FORBIDDEN', action: 'Contact the operator of this installation to have the organization unsuspended.' },
  billing_not_configured: { class: 'PRECONDITION_FAILED', action: 'Ask the operator for credits: this installation grants them by hand (STRIPE_SECRET_KEY is not set).' },
  unknown_pack: { class: 'BAD_REQUEST', action: 'Pick one of the credit packs listed on the Usage & billing page (`lathe billing packs`).' },
  payment_failed: { class: 'PAYMENT_REQUIRED', action: 'Update the payment method in the billing portal, then turn auto top-up on again.' },
  // organization limits (a platform administrator sets them per organization; LATHE_QUOTA_* are the defaults)
  concurrent_jobs_limit: { class: 'TOO_MANY_REQUESTS', action: 'Wait for a fine-tuning job to finish or cancel one, or ask a platform administrator to raise the limit.' },
  concurrent_deployments_limit: { class: 'TOO_MANY_REQUESTS', action: 'Undeploy a model on the Models page, or ask a platform administrator to raise the limit.' },
  import_limit_reached: { class: 'TOO_MANY_REQUESTS', action: 'Import again after the seconds in Retry-After, or ask a platform administrator to raise the limit.' },
  storage_quota_exceeded: { class: 'PAYLOAD_TOO_LARGE', type: 'invalid_request_error', action: 'Delete datasets or models you no longer need, or ask a platform administrator to raise the storage limit.' },
  // resources
  not_found: { class: 'NOT_FOUND' },
  file_not_found: { class: 'NOT_FOUND' },
  model_not_found: { class: 'NOT_FOUND', type: 'invalid_request_error', action: 'List the models you can use with GET /v1/models.' },
  adapter_not_found: { class: 'NOT_FOUND', type: 'invalid_request_error' },
  unknown_url: { class: 'NOT_FOUND', type: 'invalid_request_error', action: 'Check the path against the API reference.' },
  in_use: { class: 'CONFLICT' },
  dataset_in_use: { class: 'CONFLICT', action: 'Delete the jobs that used the dataset first: a job can be deleted from its page once it has ended.' },
  job_not_finished: { class: 'CONFLICT', action: 'Cancel the job, then delete it once it has ended.' },
  importing: { class: 'CONFLICT', action: 'Wait for the import to finish.' },
  job_finished: { class: 'CONFLICT' },
  alias_target_is_alias: { class: 'BAD_REQUEST', action: 'Point the alias at a model, not at another alias.' },
  // webhooks
  webhook_url_invalid: { class: 'BAD_REQUEST', action: 'Give an absolute http:// or https:// URL of at most 2,048 characters, without a user name or password in it.' },
  webhook_destination_private: { class: 'BAD_REQUEST', action: 'Give a URL whose host resolves only to public addresses; an operator may allow private ones with LATHE_WEBHOOK_ALLOW_PRIVATE=1.' },
  webhook_destination_unresolvable: { class: 'BAD_REQUEST', action: 'Check the host name of the URL: it does not resolve.' },
  webhook_endpoint_disabled: { class: 'PRECONDITION_FAILED', action: 'Enable the endpoint on the Webhooks page, then send the event again.' },
  // datasets and models
  invalid_dataset: { class: 'BAD_REQUEST', action: 'Open the dataset page: its report lists each problem with its line.' },
  dataset_not_ready: { class: 'PRECONDITION_FAILED', action: 'Wait for validation to finish, then try again.' },
  dataset_failed: { class: 'PRECONDITION_FAILED', action: 'Upload the file again.' },
  model_not_ready: { class: 'PRECONDITION_FAILED', action: 'Wait until the model is ready (Models page), then try again.' },
  model_not_trainable: { class: 'BAD_REQUEST', action: 'Pick another base model: this one can be served but not fine-tuned.' },
  not_trainable: { class: 'BAD_REQUEST' },
  unsupported_method: { class: 'BAD_REQUEST', action: 'Use method {"type": "supervised"} or {"type": "dpo"}, the fine-tuning methods Lathe trains.' },
  training_file_format: { class: 'BAD_REQUEST', action: 'Use a file in the format of the method: preference pairs for dpo, chat, prompt/completion or Alpaca for supervised.' },
  missing_chat_template: { class: 'BAD_REQUEST', action: 'Import a model whose tokenizer has a chat template.' },
  early_stopping_without_validation: { class: 'BAD_REQUEST', action: 'Give the job a validation file, or train on a file of at least two examples so one can be held out.' },
  init_adapter_invalid: { class: 'BAD_REQUEST', action: 'Continue from another fine-tuned model of the same base, or start a fresh fine-tune of the base model.' },
  template_timeout: { class: 'BAD_REQUEST', action: "Fix the model's chat template so it renders a conversation in well under a second, or use another model." },
  template_memory_exceeded: { class: 'BAD_REQUEST', action: "Fix the model's chat template so it builds no huge list or string, or use another model." },
  // serving and training capacity
  serving_not_configured: { class: 'INTERNAL', action: 'Set LATHE_INTERNAL_TOKEN for the web app and the runners, or start Lathe with `npm start`.' },
  trainer_unavailable: { class: 'SERVICE_UNAVAILABLE', action: 'Run `npx lathe doctor` on the host: it names what training lacks and the command that fixes it.' },
  model_loading: { class: 'SERVICE_UNAVAILABLE', action: 'Retry after the seconds in Retry-After.' },
  adapter_loading: { class: 'SERVICE_UNAVAILABLE', action: 'Retry after the seconds in Retry-After.' },
  inference_unavailable: { class: 'SERVICE_UNAVAILABLE', action: 'Retry after the seconds in Retry-After; deploy the model if nothing serves it.' },
  shutting_down: { class: 'SERVICE_UNAVAILABLE', action: 'Retry: another runner or the restarted one will answer.' },
  server_overloaded: { class: 'TOO_MANY_REQUESTS', action: 'Retry after the seconds in Retry-After, or deploy the model on more runners.' },
  inference_server_failed: { class: 'BAD_GATEWAY' },
  upstream_error: { class: 'BAD_GATEWAY' },
  deployment_failed: { class: 'SERVICE_UNAVAILABLE', action: 'Fix the model or deploy it again from the Models page.' },
  adapter_load_failed: { class: 'INTERNAL' },
  context_failed: { class: 'INTERNAL' },
  merge_unavailable: { class: 'SERVICE_UNAVAILABLE' },
  merge_failed: { class: 'INTERNAL' },
  internal_error: { class: 'INTERNAL' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The machine codes of one class, e.g. `CodeOfClass<'BAD_REQUEST'>`. */
export type CodeOfClass<C extends ErrorClass> = { [K in ErrorCode]: (typeof ERROR_CODES)[K]['class'] extends C ? K : never }[ErrorCode];

export interface ErrorDescription {
  status: number;
  openaiStatus: number;
  type: OpenAIErrorType;
  trpc: TrpcErrorCode;
  action: string;
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** Status, OpenAI type, tRPC code and advice for a class, refined by a machine code when it is one. */
export function describeError(errorClass: ErrorClass, code?: string | null): ErrorDescription {
  const base = ERROR_CLASSES[errorClass];
  const spec: ErrorCodeSpec | undefined = code && isErrorCode(code) ? ERROR_CODES[code] : undefined;
  const sameClass = spec?.class === errorClass;
  return {
    status: base.status,
    openaiStatus: 'openaiStatus' in base ? base.openaiStatus : base.status,
    type: (sameClass && spec?.type) || base.type,
    trpc: base.trpc,
    action: spec?.action ?? base.action,
  };
}

/** The class of a machine code. */
export function classOf(code: ErrorCode): ErrorClass {
  return ERROR_CODES[code].class;
}

/** The class that answers with an HTTP status (for errors rebuilt from a status alone). */
export function classForStatus(status: number): ErrorClass {
  for (const [name, spec] of Object.entries(ERROR_CLASSES) as [ErrorClass, ErrorClassSpec][]) if (spec.status === status) return name;
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
}

/** The class a tRPC error code belongs to (errors raised as TRPCError by middleware). */
export function classForTrpcCode(code: string): ErrorClass {
  for (const [name, spec] of Object.entries(ERROR_CLASSES) as [ErrorClass, ErrorClassSpec][]) if (spec.trpc === code) return name;
  return 'BAD_REQUEST';
}
