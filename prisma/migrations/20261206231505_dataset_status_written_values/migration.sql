-- Nothing writes TOKENIZING or READY (tokenizing is a job's step, not a dataset's), and a row that
-- somehow holds one passed validation, so it becomes VALID rather than failing the cast.
UPDATE "Dataset" SET "status" = 'VALID' WHERE "status"::text IN ('TOKENIZING', 'READY');

-- AlterEnum
BEGIN;
CREATE TYPE "DatasetStatus_new" AS ENUM ('UPLOADED', 'VALIDATING', 'VALID', 'INVALID', 'FAILED');
ALTER TABLE "Dataset" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "Dataset" ALTER COLUMN "status" TYPE "DatasetStatus_new" USING ("status"::text::"DatasetStatus_new");
ALTER TYPE "DatasetStatus" RENAME TO "DatasetStatus_old";
ALTER TYPE "DatasetStatus_new" RENAME TO "DatasetStatus";
DROP TYPE "DatasetStatus_old";
ALTER TABLE "Dataset" ALTER COLUMN "status" SET DEFAULT 'UPLOADED';
COMMIT;
