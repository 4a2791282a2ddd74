-- AlterTable
ALTER TABLE "TrainingJob" ADD COLUMN     "parentModelId" TEXT;

-- AddForeignKey
ALTER TABLE "TrainingJob" ADD CONSTRAINT "TrainingJob_parentModelId_fkey" FOREIGN KEY ("parentModelId") REFERENCES "FineTunedModel"("id") ON DELETE SET NULL ON UPDATE CASCADE;
