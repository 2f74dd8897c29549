-- 0007_import_timezone: the IANA time zone in which an import reads times written without an
-- offset (the job thread and a resumed run read it from here; NULL for jobs made before).
ALTER TABLE imports ADD COLUMN timezone TEXT;
