/** What a handler did, recorded on the event's row. */
export type EventOutcome = { organizationId: string | null; detail: string; after?: () => Promise<void> };
