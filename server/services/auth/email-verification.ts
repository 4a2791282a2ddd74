/**
 * Whether an account must verify its e-mail before it links a GitHub or Google sign-in or accepts
 * an invitation. EMAIL_VERIFICATION=on|off decides; unset, it is on wherever mail can be sent.
 */
export function emailVerificationRequired(env: Record<string, string | undefined> = process.env) {
  if (env.EMAIL_VERIFICATION === 'on') return true;
  if (env.EMAIL_VERIFICATION === 'off') return false;
  return Boolean(env.SMTP_URL);
}
