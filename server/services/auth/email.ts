/** The one spelling of an e-mail address that accounts and invitations are keyed by. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();
