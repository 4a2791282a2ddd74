-- CreateTable
CREATE TABLE "PlaygroundPreset" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "systemPrompt" TEXT NOT NULL,
    "parameters" JSONB NOT NULL,
    "shared" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PlaygroundPreset_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PlaygroundPreset_projectId_shared_idx" ON "PlaygroundPreset"("projectId", "shared");

-- CreateIndex
CREATE UNIQUE INDEX "PlaygroundPreset_projectId_createdById_name_key" ON "PlaygroundPreset"("projectId", "createdById", "name");

-- AddForeignKey
ALTER TABLE "PlaygroundPreset" ADD CONSTRAINT "PlaygroundPreset_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PlaygroundPreset" ADD CONSTRAINT "PlaygroundPreset_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PlaygroundPreset" ADD CONSTRAINT "PlaygroundPreset_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
