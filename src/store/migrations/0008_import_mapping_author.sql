-- 0008_import_mapping_author: who saved each import mapping. Mappings stay readable by all;
-- only their author, a manager or an admin may overwrite or delete one. Mappings saved before
-- this migration have no author (NULL): managers and admins only.
ALTER TABLE import_mappings ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
