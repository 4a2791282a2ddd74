-- AlterTable
ALTER TABLE "TrainingJob" ADD COLUMN     "slurm" JSONB;

-- AlterTable
ALTER TABLE "Runner" ADD COLUMN     "slurmPartitions" JSONB;
