-- Entries written so far form one chain, kept and verified as it was under the name "global".
ALTER TABLE "AuditLogEntry" ADD COLUMN     "chain" TEXT NOT NULL DEFAULT 'global';
ALTER TABLE "AuditLogEntry" ALTER COLUMN "chain" DROP DEFAULT;

-- CreateTable
CREATE TABLE "AuditChainHead" (
    "chain" TEXT NOT NULL,
    "lastId" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "entries" BIGINT NOT NULL,

    CONSTRAINT "AuditChainHead_pkey" PRIMARY KEY ("chain")
);

-- The head of the existing chain: its last entry and how many it holds.
INSERT INTO "AuditChainHead" ("chain", "lastId", "hash", "entries")
SELECT 'global', "id", "hash", (SELECT COUNT(*) FROM "AuditLogEntry")
FROM "AuditLogEntry" ORDER BY "id" DESC LIMIT 1;

-- CreateIndex
CREATE INDEX "AuditLogEntry_chain_id_idx" ON "AuditLogEntry"("chain", "id");
