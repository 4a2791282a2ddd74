import NextAuth from 'next-auth';
import { NextRequest, NextResponse } from 'next/server';
import { authOptions } from '@/server/auth/options';
import { readAuthBody } from '@/app/api/auth/auth-body';

type Context = { params: Promise<{ nextauth: string[] }> };

const nextAuth = (req: NextRequest, ctx: Context) => NextAuth(req as never, ctx as never, authOptions());

async function POST(req: NextRequest, ctx: Context) {
  const body = await readAuthBody(req);
  if ('refusal' in body) return body.refusal;
  // next-auth parses a JSON body itself and fails with a 500 on one that is not JSON.
  if (req.headers.get('content-type')?.includes('application/json') && body.json === undefined) {
    return NextResponse.json({ error: 'The body is not valid JSON.' }, { status: 400 });
  }
  return nextAuth(new NextRequest(req.url, { method: 'POST', headers: req.headers, body: body.text }), ctx);
}

export { nextAuth as GET, POST };
