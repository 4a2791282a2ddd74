import { describe, expect, it } from 'vitest';
import { limitRequestBody, maxJsonBodyBytes, readBodyText } from '@/server/services/request-body/read-body';

const chunked = (chunks: string[], onPull: () => void = () => undefined) => {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      onPull();
      if (i < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[i++]));
      else controller.close();
    },
  });
};
const post = (body: BodyInit, headers: Record<string, string> = {}) => new Request('http://lathe.test/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

describe('request bodies under a cap', () => {
  it('reads a body up to the cap', async () => {
    expect(await readBodyText(post('x'.repeat(10)), 10)).toBe('x'.repeat(10));
  });

  it('refuses a declared Content-Length over the cap without reading a byte', async () => {
    let pulls = 0;
    const error = await readBodyText(post(chunked(['{}'], () => pulls++), { 'content-length': '11' }), 10).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { reason: 'request_too_large' } });
    expect(pulls).toBeLessThanOrEqual(1);
  });

  it('stops a chunked body at the cap and reads no further', async () => {
    let pulls = 0;
    const error = await readBodyText(post(chunked(Array.from({ length: 100 }, () => 'x'.repeat(4)), () => pulls++)), 10).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('10 bytes') });
    expect(pulls).toBeLessThan(10);
  });

  it('fails a parser that reads the limited request with the error it was given', async () => {
    const marker = new Error('too large for tRPC');
    await expect(limitRequestBody(post('x'.repeat(20)), 10, () => marker).json()).rejects.toBe(marker);
  });

  it('reads the cap from LATHE_MAX_JSON_BODY_BYTES, 1 MiB by default', () => {
    expect(maxJsonBodyBytes({})).toBe(1024 * 1024);
    expect(maxJsonBodyBytes({ LATHE_MAX_JSON_BODY_BYTES: '2048' })).toBe(2048);
    expect(() => maxJsonBodyBytes({ LATHE_MAX_JSON_BODY_BYTES: '1e3x' })).toThrow(/positive whole number/);
  });
});
