import { describe, expect, it } from 'vitest';
import { passwordProblem, SIGN_UP_SENTENCES, signUpProblems } from '@/lib/universal/sign-up';
import en from '@/messages/en/auth.json';

describe('sign-up rules', () => {
  it('names each field\'s first problem as a code', () => {
    expect(signUpProblems({ email: '', password: '' })).toEqual({ email: 'email_required', password: 'password_required' });
    expect(signUpProblems({ email: 'ab', password: 'short', confirm: 'other' })).toEqual({ email: 'email_invalid', password: 'password_too_short', confirm: 'passwords_differ' });
    expect(signUpProblems({ email: 'kim@example.com', password: 'kim-9-horses', name: 'x'.repeat(101) })).toEqual({ name: 'name_too_long' });
    expect(signUpProblems({ email: 'kimberly@example.com', password: 'my-kimberly-9', confirm: 'my-kimberly-9' })).toEqual({ password: 'password_contains_email' });
    expect(signUpProblems({ email: ' kim@example.com ', password: 'correct-Horse-battery-9', confirm: 'correct-Horse-battery-9' })).toEqual({});
  });

  it('grades passwords as the server does', () => {
    expect(passwordProblem('Password123'.toLowerCase())).toBe('password_common');
    expect(passwordProblem('aaaaabbbbb')).toBe('password_repetitive');
    expect(passwordProblem('abcdefghijk')).toBe('password_simple');
    expect(passwordProblem('abcdefghijklmnopq')).toBeNull();
    expect(passwordProblem('x'.repeat(257))).toBe('password_too_long');
  });

  it('has a sentence for every problem, in the API and in the English messages', () => {
    const codes = Object.keys(SIGN_UP_SENTENCES);
    expect(Object.keys(en.errors.fields).sort()).toEqual(codes.sort());
    for (const code of codes) {
      expect(SIGN_UP_SENTENCES[code as keyof typeof SIGN_UP_SENTENCES]).toMatch(/^[A-Z].*\.$/);
      expect(en.errors.fields[code as keyof typeof en.errors.fields]).toMatch(/^[A-Z].*\.$/);
    }
  });
});
