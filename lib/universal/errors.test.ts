import { describe, expect, it } from 'vitest';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPCError } from '@trpc/server';
import { classOf, describeError, ERROR_CLASSES, ERROR_CODES, type ErrorClass, type ErrorCode } from './errors';
import { InferenceError } from './openai/errors';

describe('the error catalogue', () => {
  it('gives every class the HTTP status tRPC itself answers for its tRPC code', () => {
    for (const [name, spec] of Object.entries(ERROR_CLASSES)) {
      expect(getHTTPStatusCodeFromError(new TRPCError({ code: spec.trpc })), name).toBe(spec.status);
    }
  });

  it('says what to do for every code, in a sentence', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const { action } = describeError(classOf(code), code);
      expect(action, code).toMatch(/^[A-Z].*[.)]$/);
    }
  });

  it('answers a precondition with 400 on the OpenAI wire, which has no 412', () => {
    expect(describeError('PRECONDITION_FAILED')).toMatchObject({ status: 412, openaiStatus: 400, trpc: 'PRECONDITION_FAILED' });
  });

  it('refines the type by code only within the code\'s own class', () => {
    expect(describeError('NOT_FOUND', 'model_not_found').type).toBe('invalid_request_error');
    expect(describeError('BAD_REQUEST', 'model_not_found').type).toBe('invalid_request_error');
    expect(describeError('NOT_FOUND', 'not_a_code').type).toBe('not_found_error');
  });

  it('builds inference errors from the catalogue and rebuilds an upstream answer as it was given', () => {
    const error = new InferenceError('server_overloaded', 'busy', { retryAfter: 2 });
    expect([error.status, error.type, error.code, error.retryAfter]).toEqual([429, 'rate_limit_error', 'server_overloaded', 2]);
    expect(new InferenceError('trainer_unavailable', 'no torch').toJSON()).toEqual({ error: { message: 'no torch', type: 'server_error', param: null, code: 'trainer_unavailable' } });
    const relayed = InferenceError.fromBody(418, { error: { message: 'odd', type: 'invalid_request_error', param: 'x', code: 'something_new' } });
    expect([relayed.status, relayed.type, relayed.code, relayed.param]).toEqual([418, 'invalid_request_error', 'something_new', 'x']);
    const opaque = InferenceError.fromBody(503, 'not json');
    expect([opaque.status, opaque.type, opaque.code]).toEqual([503, 'server_error', 'upstream_error']);
  });

  it('keeps each class name a tRPC code or INTERNAL', () => {
    for (const name of Object.keys(ERROR_CLASSES) as ErrorClass[]) expect(name === 'INTERNAL' || ERROR_CLASSES[name].trpc === name, name).toBe(true);
  });
});
