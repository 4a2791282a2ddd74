/** The one spelling of an e-mail address that accounts and invitations are keyed by. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** The platform administrator's address: admin-token sessions act as it, and nobody may sign up with it. */
export const ADMIN_EMAIL = 'admin@lathe.local';
