-- CreateEnum
CREATE TYPE "StripeEventOutcome" AS ENUM ('PROCESSED', 'IGNORED', 'REFUSED');

-- CreateEnum
CREATE TYPE "StripePaymentKind" AS ENUM ('CHECKOUT', 'AUTO_TOP_UP');

-- AlterEnum
ALTER TYPE "LedgerKind" ADD VALUE 'ADJUSTMENT';

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "monthlySpendCap" DECIMAL(18,6);

-- AlterTable
ALTER TABLE "BaseModel" ALTER COLUMN "pricePerMillionTokens" DROP NOT NULL,
ALTER COLUMN "pricePerMillionTokens" DROP DEFAULT,
ALTER COLUMN "inferencePricePerMillionTokens" DROP NOT NULL,
ALTER COLUMN "inferencePricePerMillionTokens" DROP DEFAULT;

-- AlterTable
ALTER TABLE "CreditLedgerEntry" ADD COLUMN     "apiKeyId" TEXT,
ADD COLUMN     "paymentId" TEXT,
ADD COLUMN     "unitPrice" DECIMAL(18,6);

-- AlterTable
ALTER TABLE "UsageRecord" ADD COLUMN     "credits" DECIMAL(18,6) NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "PriceBookSetting" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "book" JSONB NOT NULL,
    "updatedById" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PriceBookSetting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BillingAccount" (
    "organizationId" TEXT NOT NULL,
    "stripeCustomerId" TEXT,
    "autoTopUpEnabled" BOOLEAN NOT NULL DEFAULT false,
    "autoTopUpThreshold" DECIMAL(18,6),
    "autoTopUpPackId" TEXT,
    "autoTopUpDisabledReason" TEXT,
    "autoTopUpPendingKey" TEXT,
    "autoTopUpSequence" INTEGER NOT NULL DEFAULT 0,
    "monthlySpendCap" DECIMAL(18,6),
    "capAlertsSent" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "paidUsageFrozenAt" TIMESTAMP(3),
    "paidUsageFrozenReason" TEXT,
    "suspendedAt" TIMESTAMP(3),
    "suspendedReason" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BillingAccount_pkey" PRIMARY KEY ("organizationId")
);

-- CreateTable
CREATE TABLE "StripeEvent" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "outcome" "StripeEventOutcome" NOT NULL,
    "organizationId" TEXT,
    "detail" TEXT,
    "payload" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StripeEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StripePayment" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT,
    "kind" "StripePaymentKind" NOT NULL DEFAULT 'CHECKOUT',
    "checkoutSessionId" TEXT,
    "packId" TEXT,
    "credits" DECIMAL(18,6),
    "amount" INTEGER,
    "currency" TEXT,
    "paidAt" TIMESTAMP(3),
    "failedAt" TIMESTAMP(3),
    "failureReason" TEXT,
    "amountRefunded" INTEGER NOT NULL DEFAULT 0,
    "disputedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StripePayment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BillingAccount_stripeCustomerId_key" ON "BillingAccount"("stripeCustomerId");

-- CreateIndex
CREATE INDEX "StripeEvent_type_receivedAt_idx" ON "StripeEvent"("type", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "StripePayment_checkoutSessionId_key" ON "StripePayment"("checkoutSessionId");

-- CreateIndex
CREATE INDEX "StripePayment_organizationId_createdAt_idx" ON "StripePayment"("organizationId", "createdAt");

-- CreateIndex
CREATE INDEX "CreditLedgerEntry_paymentId_idx" ON "CreditLedgerEntry"("paymentId");

-- AddForeignKey
ALTER TABLE "BillingAccount" ADD CONSTRAINT "BillingAccount_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Models that carried the old column defaults now price by the price book's size class
UPDATE "BaseModel" SET "pricePerMillionTokens" = NULL WHERE "pricePerMillionTokens" = 1;
UPDATE "BaseModel" SET "inferencePricePerMillionTokens" = NULL WHERE "inferencePricePerMillionTokens" = 0.1;
