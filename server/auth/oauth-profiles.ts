// What GitHub and Google say about the address they sign a person in with, including whether they
// verified it: next-auth's own profiles drop that, and an unverified address must not reach an
// account (server/services/users/oauth-user.ts).
import type { Profile } from 'next-auth';
import type { OAuthConfig } from 'next-auth/providers/oauth';
import GitHubProvider, { type GithubEmail, type GithubProfile } from 'next-auth/providers/github';
import GoogleProvider, { type GoogleProfile } from 'next-auth/providers/google';

export type VerifiedProfile = { id: string; name: string | null; email: string | null; image: string | null; emailVerified: boolean };

/** The address a GitHub sign-in uses (the public one, else the primary) and whether GitHub verified it. */
export function githubSignInEmail(publicEmail: string | null, emails: Pick<GithubEmail, 'email' | 'primary' | 'verified'>[]) {
  const chosen = publicEmail ? emails.find((e) => e.email.toLowerCase() === publicEmail.toLowerCase()) : (emails.find((e) => e.primary) ?? emails[0]);
  return { email: publicEmail ?? chosen?.email ?? null, emailVerified: chosen?.verified === true };
}

type Credentials = { clientId: string; clientSecret: string };

export function githubProvider(credentials: Credentials): OAuthConfig<GithubProfile & { email_verified: boolean }> {
  return GitHubProvider({
    ...credentials,
    userinfo: {
      url: 'https://api.github.com/user',
      async request({ client, tokens }) {
        const profile = (await client.userinfo(tokens.access_token!)) as unknown as GithubProfile;
        const res = await fetch('https://api.github.com/user/emails', { headers: { Authorization: `token ${tokens.access_token}` } });
        const emails = res.ok ? ((await res.json()) as GithubEmail[]) : [];
        const { email, emailVerified } = githubSignInEmail(profile.email, emails);
        return { ...profile, email, email_verified: emailVerified } as unknown as Profile;
      },
    },
    profile: (p): VerifiedProfile => ({ id: String(p.id), name: p.name ?? p.login, email: p.email, image: p.avatar_url, emailVerified: p.email_verified }),
  }) as OAuthConfig<GithubProfile & { email_verified: boolean }>;
}

export function googleProvider(credentials: Credentials) {
  return GoogleProvider({
    ...credentials,
    profile: (p: GoogleProfile): VerifiedProfile => ({ id: p.sub, name: p.name, email: p.email, image: p.picture, emailVerified: p.email_verified === true }),
  });
}
