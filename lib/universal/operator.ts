/** Who runs a Lathe installation, as the legal pages show it (each field optional). */
export type OperatorDetails = { name?: string; address?: string; email?: string; representative?: string; register?: string; vatId?: string };
