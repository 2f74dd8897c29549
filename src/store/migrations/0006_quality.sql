-- 0006_quality: data quality (issue 5). Candidate duplicate pairs found by the scan
-- (crm/duplicates.c), the merges that can be undone (crm/merge.c) and erasures on request
-- (crm/privacy.c).

-- One row per candidate pair, a_id < b_id. The scan replaces the open rows; a pair a person
-- marked "not a duplicate" stays dismissed through later scans. reasons is a JSON list of
-- {"code", "points", "text"} and never holds personal data.
CREATE TABLE duplicate_pairs (
  kind       TEXT NOT NULL CHECK (kind IN ('contact','account')),
  a_id       INTEGER NOT NULL,
  b_id       INTEGER NOT NULL,
  score      INTEGER NOT NULL,
  reasons    TEXT NOT NULL DEFAULT '[]',
  status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','dismissed')),
  found_at   INTEGER NOT NULL,
  decided_by INTEGER REFERENCES users(id),
  decided_at INTEGER,
  PRIMARY KEY (kind, a_id, b_id),
  CHECK (a_id < b_id)
) WITHOUT ROWID;
CREATE INDEX duplicate_pairs_best ON duplicate_pairs(kind, status, score DESC, a_id, b_id);
CREATE INDEX duplicate_pairs_b ON duplicate_pairs(kind, b_id);

-- A merge: the survivor keeps its id, the merged record is deleted and everything that pointed
-- at it points at the survivor. undo is the audit row (action 'merge' on the survivor) that holds
-- everything needed to put the merged record and its rows back.
CREATE TABLE merges (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL CHECK (kind IN ('contact','account')),
  survivor_id INTEGER NOT NULL,
  merged_id   INTEGER NOT NULL,
  audit_id    INTEGER NOT NULL REFERENCES audit(id),
  user_id     INTEGER REFERENCES users(id),
  at          INTEGER NOT NULL,
  undone_at   INTEGER,
  undone_by   INTEGER REFERENCES users(id),
  undoable    INTEGER NOT NULL DEFAULT 1 -- 0 once an erasure scrubbed the data an undo needs
);
CREATE INDEX merges_survivor ON merges(kind, survivor_id);
CREATE INDEX merges_merged ON merges(kind, merged_id);
