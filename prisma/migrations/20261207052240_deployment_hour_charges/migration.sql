-- AlterTable
ALTER TABLE "CreditLedgerEntry" ADD COLUMN     "deploymentId" TEXT;

-- CreateIndex
CREATE INDEX "CreditLedgerEntry_deploymentId_idx" ON "CreditLedgerEntry"("deploymentId");
