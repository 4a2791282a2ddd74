// What makes a sign-up field wrong, checked the same way in the browser (before the round trip)
// and by the server. Each problem is a code; the form shows it as a sentence in the user's
// language (messages/<locale>/auth.json, errors.fields), the server as an English sentence.

const COMMON = new Set([
  'password', 'password1', 'password123', '1234567890', '12345678910', 'qwertyuiop', 'iloveyou12',
  'letmein123', 'welcome123', 'admin12345', 'changeme123', 'abcdefghij', 'qwerty12345', '1q2w3e4r5t',
]);

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;
export const EMAIL_MAX = 320;
export const NAME_MAX = 100;

export type PasswordProblem = 'password_required' | 'password_too_short' | 'password_too_long' | 'password_common' | 'password_repetitive' | 'password_simple' | 'password_contains_email';
export type SignUpProblem = PasswordProblem | 'email_required' | 'email_invalid' | 'email_too_long' | 'name_too_long' | 'passwords_differ';

/** Why a password is too weak, or null when it is acceptable. */
export function passwordProblem(password: string, email?: string): PasswordProblem | null {
  if (password.length === 0) return 'password_required';
  if (password.length < PASSWORD_MIN) return 'password_too_short';
  if (password.length > PASSWORD_MAX) return 'password_too_long';
  if (COMMON.has(password.toLowerCase())) return 'password_common';
  if (new Set(password).size < 5) return 'password_repetitive';
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < 16 && classes < 2) return 'password_simple';
  const local = email?.split('@')[0] ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local.toLowerCase())) return 'password_contains_email';
  return null;
}

/** A deliberately loose address check: something@something.something, no spaces. */
export function emailProblem(email: string): 'email_required' | 'email_invalid' | 'email_too_long' | null {
  const value = email.trim();
  if (value.length === 0) return 'email_required';
  if (value.length > EMAIL_MAX) return 'email_too_long';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return 'email_invalid';
  return null;
}

/** Every field's first problem, keyed by the form's field names; empty when the form may be sent. */
export function signUpProblems(input: { email: string; password: string; confirm?: string; name?: string }): Partial<Record<'email' | 'password' | 'confirm' | 'name', SignUpProblem>> {
  const problems: Partial<Record<'email' | 'password' | 'confirm' | 'name', SignUpProblem>> = {};
  const email = emailProblem(input.email);
  if (email) problems.email = email;
  const password = passwordProblem(input.password, input.email.trim());
  if (password) problems.password = password;
  if (input.confirm !== undefined && input.confirm !== input.password) problems.confirm = 'passwords_differ';
  if ((input.name ?? '').trim().length > NAME_MAX) problems.name = 'name_too_long';
  return problems;
}

/** The English sentences the server answers with (the API has no locale). */
export const SIGN_UP_SENTENCES: Record<SignUpProblem, string> = {
  email_required: 'Enter your e-mail address.',
  email_invalid: 'Enter a valid e-mail address, like name@example.com.',
  email_too_long: `Use an e-mail address of at most ${EMAIL_MAX} characters.`,
  password_required: 'Choose a password.',
  password_too_short: `Use at least ${PASSWORD_MIN} characters.`,
  password_too_long: `Use at most ${PASSWORD_MAX} characters.`,
  password_common: 'This password is too common; choose another.',
  password_repetitive: 'Use more varied characters.',
  password_simple: 'Mix letters with digits or symbols, or use 16 or more characters.',
  password_contains_email: 'Do not use your e-mail address in your password.',
  passwords_differ: 'The passwords do not match.',
  name_too_long: `Use a name of at most ${NAME_MAX} characters.`,
};
