-- AlterTable
ALTER TABLE "Runner" ADD COLUMN     "trainerFix" TEXT,
ADD COLUMN     "trainerProblem" TEXT;
