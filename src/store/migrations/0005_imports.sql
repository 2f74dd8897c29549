-- 0005_imports: import jobs (dry runs and real runs), their rejected rows, saved column mappings,
-- the keys that make an import idempotent, and an email index for matching contacts.
-- A job is resumable: rows_done counts the source rows whose batch committed.
CREATE TABLE imports (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id     INTEGER REFERENCES users(id),
  kind        TEXT NOT NULL CHECK (kind IN ('accounts','contacts','interactions','orders')),
  format      TEXT NOT NULL,               -- csv, xlsx, vcard
  encoding    TEXT NOT NULL DEFAULT 'auto',
  region      TEXT,
  mapping     TEXT NOT NULL DEFAULT '{}',  -- {"column header": "field"}
  filename    TEXT,
  file_hash   TEXT NOT NULL,               -- BLAKE2b of the file: the same file resumes its job
  source      BLOB,                        -- the uploaded file (API imports), for the job thread
  dry_run     INTEGER NOT NULL DEFAULT 0,
  status      TEXT NOT NULL DEFAULT 'queued'
              CHECK (status IN ('queued','running','cancelling','cancelled','failed','done')),
  rows_total  INTEGER NOT NULL DEFAULT 0,
  rows_done   INTEGER NOT NULL DEFAULT 0,
  created     INTEGER NOT NULL DEFAULT 0,
  updated     INTEGER NOT NULL DEFAULT 0,
  duplicates  INTEGER NOT NULL DEFAULT 0,
  rejected    INTEGER NOT NULL DEFAULT 0,
  message     TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX imports_file ON imports(file_hash, status);

CREATE TABLE import_rejects (
  import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
  line      INTEGER NOT NULL,
  field     TEXT,
  message   TEXT NOT NULL
);
CREATE INDEX import_rejects_import ON import_rejects(import_id, line);

CREATE TABLE import_mappings (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL CHECK (kind IN ('accounts','contacts','interactions','orders')),
  mapping    TEXT NOT NULL,                -- {"column header": "field"}
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- What an import already brought in: "x:<external id>" (a mapped external id column) and
-- "r:<hash of the row's values>" for every row, so running the same file again changes nothing.
CREATE TABLE import_keys (
  kind      TEXT NOT NULL,
  key       TEXT NOT NULL,
  record_id INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- Contacts by email address (lower case), kept by triggers whoever writes the contact.
CREATE TABLE contact_emails (
  email      TEXT NOT NULL,
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  PRIMARY KEY (email, contact_id)
) WITHOUT ROWID;
CREATE INDEX contact_emails_contact ON contact_emails(contact_id);
INSERT OR IGNORE INTO contact_emails(email, contact_id)
  SELECT lower(json_extract(e.value, '$.address')), c.id FROM contacts c, json_each(c.emails) e
  WHERE json_extract(e.value, '$.address') IS NOT NULL;
CREATE TRIGGER contact_emails_ai AFTER INSERT ON contacts WHEN new.emails <> '[]' BEGIN
  INSERT OR IGNORE INTO contact_emails(email, contact_id)
    SELECT lower(json_extract(value, '$.address')), new.id FROM json_each(new.emails)
    WHERE json_extract(value, '$.address') IS NOT NULL;
END;
CREATE TRIGGER contact_emails_au AFTER UPDATE OF emails ON contacts BEGIN
  DELETE FROM contact_emails WHERE contact_id = new.id;
  INSERT OR IGNORE INTO contact_emails(email, contact_id)
    SELECT lower(json_extract(value, '$.address')), new.id FROM json_each(new.emails)
    WHERE json_extract(value, '$.address') IS NOT NULL;
END;
