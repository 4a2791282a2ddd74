-- CreateEnum
CREATE TYPE "DeploymentStatus" AS ENUM ('REQUESTED', 'LOADING', 'READY', 'FAILED', 'STOPPED');

-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN     "filename" TEXT;

-- AlterTable
ALTER TABLE "BaseModel" ADD COLUMN     "details" JSONB,
ADD COLUMN     "family" TEXT,
ADD COLUMN     "inferencePricePerMillionTokens" DECIMAL(18,6) NOT NULL DEFAULT 0.1;

-- AlterTable
ALTER TABLE "TrainingJob" ADD COLUMN     "artifacts" JSONB,
ADD COLUMN     "attempt" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "cancelRequestedAt" TIMESTAMP(3),
ADD COLUMN     "heartbeatAt" TIMESTAMP(3),
ADD COLUMN     "lastCheckpointStep" INTEGER,
ADD COLUMN     "progress" JSONB;

-- CreateTable
CREATE TABLE "Deployment" (
    "id" TEXT NOT NULL,
    "baseModelId" TEXT NOT NULL,
    "runnerId" TEXT,
    "status" "DeploymentStatus" NOT NULL DEFAULT 'REQUESTED',
    "endpoint" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelAlias" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ModelAlias_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Deployment_baseModelId_idx" ON "Deployment"("baseModelId");

-- CreateIndex
CREATE UNIQUE INDEX "ModelAlias_projectId_name_key" ON "ModelAlias"("projectId", "name");

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_baseModelId_fkey" FOREIGN KEY ("baseModelId") REFERENCES "BaseModel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_runnerId_fkey" FOREIGN KEY ("runnerId") REFERENCES "Runner"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelAlias" ADD CONSTRAINT "ModelAlias_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelAlias" ADD CONSTRAINT "ModelAlias_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
