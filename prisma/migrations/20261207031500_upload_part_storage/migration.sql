-- Upload parts are stored as they arrive, uncompressed: compressing each part costs more CPU than
-- the disk it saves, and the parts live only until the upload becomes a dataset.
ALTER TABLE "UploadPart" ALTER COLUMN "data" SET STORAGE EXTERNAL;
