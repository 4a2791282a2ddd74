import { NextResponse } from 'next/server';
import { getDb } from '@/server/db';

export const dynamic = 'force-dynamic';

export async function GET() {
  const started = Date.now();
  try {
    await getDb().$queryRawUnsafe('SELECT 1');
    return NextResponse.json({ status: 'ok', database: 'ok', latencyMs: Date.now() - started, instance: process.env.LATHE_INSTANCE_ID ?? null });
  } catch (error) {
    return NextResponse.json({ status: 'error', database: error instanceof Error ? error.message : 'unreachable' }, { status: 503 });
  }
}
