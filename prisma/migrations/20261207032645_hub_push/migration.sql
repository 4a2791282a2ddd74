-- CreateTable
CREATE TABLE "HubPush" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "fineTunedModelId" TEXT NOT NULL,
    "repo" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "private" BOOLEAN NOT NULL DEFAULT true,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "progress" JSONB,
    "error" JSONB,
    "url" TEXT,
    "commitOid" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "HubPush_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "HubPush_fineTunedModelId_createdAt_idx" ON "HubPush"("fineTunedModelId", "createdAt");

-- AddForeignKey
ALTER TABLE "HubPush" ADD CONSTRAINT "HubPush_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HubPush" ADD CONSTRAINT "HubPush_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HubPush" ADD CONSTRAINT "HubPush_fineTunedModelId_fkey" FOREIGN KEY ("fineTunedModelId") REFERENCES "FineTunedModel"("id") ON DELETE CASCADE ON UPDATE CASCADE;
