import { describe, expect, it } from 'vitest';
import { githubSignInEmail } from '@/server/auth/oauth-profiles';

describe('OAuth profiles', () => {
  it("takes GitHub's verified flag for the address it signs in with", () => {
    const emails = [
      { email: 'Primary@Example.test', primary: true, verified: false },
      { email: 'public@example.test', primary: false, verified: true },
    ];
    expect(githubSignInEmail('public@example.test', emails)).toEqual({ email: 'public@example.test', emailVerified: true });
    expect(githubSignInEmail(null, emails)).toEqual({ email: 'Primary@Example.test', emailVerified: false });
    expect(githubSignInEmail('gone@example.test', emails)).toEqual({ email: 'gone@example.test', emailVerified: false });
    expect(githubSignInEmail(null, [])).toEqual({ email: null, emailVerified: false });
  });
});
