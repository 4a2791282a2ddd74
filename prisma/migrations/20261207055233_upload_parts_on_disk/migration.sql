-- Parts now live in files with only their offset and length here. Parts written before keep their
-- bytes in "data" until their upload finishes or expires.
ALTER TABLE "UploadPart" ADD COLUMN     "file" TEXT,
ADD COLUMN     "length" INTEGER,
ALTER COLUMN "data" DROP NOT NULL;

UPDATE "UploadPart" SET "length" = length("data");

ALTER TABLE "UploadPart" ALTER COLUMN "length" SET NOT NULL;
