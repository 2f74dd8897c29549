-- 0004_cti: computer-telephony integration. Agents (users of role service or sales) get a phone
-- extension, a routing rank and a persisted presence; every call a telephony system reports is
-- one row of calls, keyed by the reporting integration and its call id, so ringing, answered and
-- ended may arrive twice or out of order. An ended call of a known caller becomes one phone
-- interaction (interaction_id), written in the same transaction.

ALTER TABLE users ADD COLUMN extension TEXT;     -- the PBX extension, e.g. '8001'; unique
ALTER TABLE users ADD COLUMN agent_rank INTEGER NOT NULL DEFAULT 0
  CHECK (agent_rank BETWEEN 0 AND 100);          -- skill: the gold line takes the highest first
ALTER TABLE users ADD COLUMN presence TEXT NOT NULL DEFAULT 'available'
  CHECK (presence IN ('available','busy','away'));
ALTER TABLE users ADD COLUMN presence_at INTEGER; -- when presence last changed
CREATE UNIQUE INDEX users_extension ON users(extension) WHERE extension IS NOT NULL;

CREATE TABLE calls (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id      INTEGER NOT NULL REFERENCES users(id), -- the integration that reported it
  call_id        TEXT NOT NULL,                         -- the PBX's id (Asterisk UNIQUEID, FreeSWITCH uuid)
  from_number    TEXT,                                  -- caller id as sent; NULL when withheld
  e164           TEXT,                                  -- the caller's number normalised, or NULL
  to_number      TEXT,                                  -- the number dialled (line, DID)
  contact_id     INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
  agent_id       INTEGER REFERENCES users(id),
  routed         TEXT NOT NULL DEFAULT 'none'
                 CHECK (routed IN ('bound','gold_line','longest_idle','overflow','none')),
  state          TEXT NOT NULL CHECK (state IN ('ringing','answered','ended')),
  ringing_at     INTEGER,
  answered_at    INTEGER,
  ended_at       INTEGER,
  outcome        TEXT CHECK (outcome IN ('answered','abandoned')),  -- set when ended
  wait_s         INTEGER CHECK (wait_s IS NULL OR wait_s >= 0),     -- ringing to answer (or hang-up)
  duration_s     INTEGER CHECK (duration_s IS NULL OR duration_s >= 0), -- answer to end
  interaction_id INTEGER REFERENCES interactions(id) ON DELETE SET NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  UNIQUE (source_id, call_id)
);
CREATE INDEX calls_ringing ON calls(ringing_at);
CREATE INDEX calls_agent ON calls(agent_id, ringing_at);
CREATE INDEX calls_contact ON calls(contact_id, ringing_at);
