// Tenancy in the data-access layer: a client whose every query on a tenant-owned model carries
// the caller's organization (and project) in its WHERE clause and in the rows it creates. A row
// of another tenant is therefore never read, updated or deleted: it is simply not found.
import { Prisma } from '@/server/generated/prisma/client';
import { getDb, type Db } from '@/server/db';

export type TenantScope = { organizationId: string; projectId: string };

const PROJECT_MODELS = new Set(['ApiKey', 'Dataset', 'FineTunedModel', 'TrainingJob', 'UsageRecord', 'ModelAlias', 'PlaygroundPreset', 'WebhookEndpoint', 'WebhookDelivery', 'WebhookAttempt', 'HubPush', 'EvalRun', 'EvalResult']);
const ORG_MODELS = new Set(['Membership', 'Invitation', 'Project', 'CreditLedgerEntry', 'AuditLogEntry', 'OrganizationQuota', 'OrganizationHubToken', 'WebhookEvent']);
const JOB_CHILD_MODELS = new Set(['JobEvent', 'Checkpoint']);

const READS = new Set(['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'count', 'aggregate', 'groupBy']);
const WRITES_BY_WHERE = new Set(['update', 'updateMany', 'updateManyAndReturn', 'delete', 'deleteMany', 'upsert']);
const CREATES = new Set(['create', 'createMany', 'createManyAndReturn']);

function whereFor(model: string, scope: TenantScope, operation: string): Record<string, unknown> | null {
  if (PROJECT_MODELS.has(model)) return { organizationId: scope.organizationId, projectId: scope.projectId };
  if (ORG_MODELS.has(model)) {
    // Projects are listed across the organization; an organization's other projects are not
    // another tenant, but their contents are (they are scoped above by projectId).
    return { organizationId: scope.organizationId };
  }
  if (JOB_CHILD_MODELS.has(model)) return { job: { organizationId: scope.organizationId, projectId: scope.projectId } };
  if (model === 'BaseModel') {
    // Platform-wide models (no organization) are readable by everyone, writable only by admins.
    return READS.has(operation)
      ? { OR: [{ organizationId: null }, { organizationId: scope.organizationId }] }
      : { organizationId: scope.organizationId };
  }
  return null;
}

function dataFor(model: string, scope: TenantScope): Record<string, unknown> | null {
  if (PROJECT_MODELS.has(model)) return { organizationId: scope.organizationId, projectId: scope.projectId };
  if (ORG_MODELS.has(model) || model === 'BaseModel') return { organizationId: scope.organizationId };
  return null;
}

function withScopeData(data: unknown, scoped: Record<string, unknown>): unknown {
  if (Array.isArray(data)) return data.map((row) => ({ ...(row as object), ...scoped }));
  return { ...(data as object), ...scoped };
}

function scopeArgs(model: string, operation: string, args: Record<string, unknown>, scope: TenantScope) {
  const where = whereFor(model, scope, operation);
  if (where && (READS.has(operation) || WRITES_BY_WHERE.has(operation))) {
    const current = (args.where ?? {}) as Record<string, unknown>;
    // Unique-key operations need the unique fields at the top level; Prisma accepts extra
    // non-unique filters beside them. An AND keeps a caller-supplied OR from widening the scope.
    args.where = { ...current, AND: [...(current.AND ? [current.AND].flat() : []), where] };
  }
  const data = dataFor(model, scope);
  if (data && CREATES.has(operation)) args.data = withScopeData(args.data, data);
  if (data && operation === 'upsert') args.create = withScopeData(args.create, data);
  if (JOB_CHILD_MODELS.has(model) && CREATES.has(operation)) {
    throw new Error(`${model} rows are written by the runner service, not on a tenant's behalf`);
  }
  return args;
}

export function tenantDb(scope: TenantScope, base: Db = getDb()) {
  return base.$extends({
    name: 'tenant',
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          return query(scopeArgs(model, operation, { ...(args as Record<string, unknown>) }, scope) as typeof args);
        },
      },
    },
  });
}

export type TenantDb = ReturnType<typeof tenantDb>;

export { Prisma };

/** What a service needs to act for a caller: the scoped client, the scope, and who is acting. */
export type TenantContext = {
  db: TenantDb;
  scope: TenantScope;
  actor: { userId?: string | null; apiKeyId?: string | null };
};
