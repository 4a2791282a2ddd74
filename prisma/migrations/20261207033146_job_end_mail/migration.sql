-- AlterTable
ALTER TABLE "User" ADD COLUMN     "emailOnJobEnd" BOOLEAN NOT NULL DEFAULT true;
