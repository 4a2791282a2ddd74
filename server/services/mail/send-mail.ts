import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { logger } from '@/server/logger';

export type Mail = { to: string; subject: string; text: string };

let transport: nodemailer.Transporter | null | undefined;

/** The folder where mail goes when no SMTP server is configured (one JSON file per mail). */
export function outboxDir() {
  return path.join(path.resolve(/*turbopackIgnore: true*/ process.env.LATHE_DATA_DIR ?? './.lathe'), 'mail');
}

/** Whether mail leaves the machine (SMTP_URL is set); without it, mail goes to the outbox only. */
export const smtpConfigured = () => Boolean(process.env.SMTP_URL);

/** Sends over SMTP when SMTP_URL is set; otherwise logs the mail and keeps it in the outbox folder. */
export async function sendMail(mail: Mail): Promise<void> {
  if (transport === undefined) transport = process.env.SMTP_URL ? nodemailer.createTransport(process.env.SMTP_URL) : null;
  if (transport) {
    await transport.sendMail({ from: process.env.MAIL_FROM ?? 'Lathe <no-reply@lathe.local>', ...mail });
    return;
  }
  const dir = outboxDir();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...mail, date: new Date().toISOString() }, null, 2));
  logger.info({ to: mail.to, subject: mail.subject, file, text: mail.text }, 'mail written to the outbox (no SMTP_URL set)');
}

/** Mails in the outbox for an address, newest first. */
export function readOutbox(to: string): (Mail & { date: string })[] {
  const dir = outboxDir();
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .reverse()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Mail & { date: string })
    .filter((m) => m.to === to);
}
