-- 0001_core: users and sessions, the customer records (accounts, contacts), the business
-- records they derive from (interactions, orders), the audit trail and the search documents.
-- Times are Unix seconds (UTC); money is integer minor units; lists are JSON arrays.
-- Ids are AUTOINCREMENT: an id is never given out again after a delete, so the audit trail of a
-- deleted record can never be read as that of a new one.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  username      TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin','manager','sales','service','marketing','finance')),
  team          TEXT,
  display_name  TEXT,
  locale        TEXT NOT NULL DEFAULT 'en',
  active        INTEGER NOT NULL DEFAULT 1,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_team ON users(team);

-- Sessions and API tokens: only a hash of the secret is kept.
CREATE TABLE tokens (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash   TEXT NOT NULL UNIQUE,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind         TEXT NOT NULL CHECK (kind IN ('session','api')),
  name         TEXT,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE accounts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT NOT NULL,
  industry    TEXT,
  website     TEXT,
  parent_id   INTEGER REFERENCES accounts(id),
  owner_id    INTEGER REFERENCES users(id),
  tags        TEXT NOT NULL DEFAULT '[]',
  notes       TEXT,
  tier        TEXT NOT NULL DEFAULT 'bronze', -- derived from orders by orders.c, never typed in
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX accounts_owner ON accounts(owner_id);
CREATE INDEX accounts_name ON accounts(name);
CREATE INDEX accounts_parent ON accounts(parent_id);
CREATE INDEX accounts_tier ON accounts(tier);

CREATE TABLE contacts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT NOT NULL,
  account_id  INTEGER REFERENCES accounts(id),
  title       TEXT,
  birthday    TEXT,
  phones      TEXT NOT NULL DEFAULT '[]',
  emails      TEXT NOT NULL DEFAULT '[]',
  addresses   TEXT NOT NULL DEFAULT '[]',
  owner_id    INTEGER REFERENCES users(id),
  tags        TEXT NOT NULL DEFAULT '[]',
  consent     TEXT NOT NULL DEFAULT '{}',
  notes       TEXT,
  tier        TEXT NOT NULL DEFAULT 'bronze', -- derived from orders by orders.c, never typed in
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX contacts_account ON contacts(account_id);
CREATE INDEX contacts_owner ON contacts(owner_id);
CREATE INDEX contacts_name ON contacts(name);

-- The caller-id index: one row per (E.164 number, contact), kept by contacts.c.
CREATE TABLE contact_phones (
  e164       TEXT NOT NULL,
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  PRIMARY KEY (e164, contact_id)
) WITHOUT ROWID;
CREATE INDEX contact_phones_contact ON contact_phones(contact_id);

CREATE TABLE interactions (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id  INTEGER REFERENCES contacts(id),
  account_id  INTEGER REFERENCES accounts(id),
  channel     TEXT NOT NULL CHECK (channel IN ('phone','email','chat','sms','web','visit','meeting','social','forum')),
  direction   TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
  occurred_at INTEGER NOT NULL,
  duration_s  INTEGER CHECK (duration_s IS NULL OR duration_s >= 0),
  subject     TEXT,
  body        TEXT,
  outcome     TEXT,
  user_id     INTEGER REFERENCES users(id),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1,
  CHECK (contact_id IS NOT NULL OR account_id IS NOT NULL)
);
CREATE INDEX interactions_contact ON interactions(contact_id, occurred_at);
CREATE INDEX interactions_account ON interactions(account_id, occurred_at);

CREATE TABLE orders (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id   INTEGER REFERENCES accounts(id),
  contact_id   INTEGER REFERENCES contacts(id),
  ordered_at   INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  cost_minor   INTEGER,
  currency     TEXT NOT NULL,
  source       TEXT NOT NULL DEFAULT 'api',
  external_ref TEXT,
  status       TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('open','completed','cancelled','returned')),
  lines        TEXT NOT NULL DEFAULT '[]',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  version      INTEGER NOT NULL DEFAULT 1,
  CHECK (contact_id IS NOT NULL OR account_id IS NOT NULL)
);
CREATE UNIQUE INDEX orders_external ON orders(source, external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX orders_contact ON orders(contact_id, ordered_at);
CREATE INDEX orders_account ON orders(account_id, ordered_at);

-- Who changed what and when: changes is {"field": {"old": ..., "new": ...}}.
CREATE TABLE audit (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  user_id    INTEGER REFERENCES users(id),
  entity     TEXT NOT NULL,
  entity_id  INTEGER NOT NULL,
  action     TEXT NOT NULL CHECK (action IN ('create','update','delete','merge','import')),
  changes    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_entity ON audit(entity, entity_id, id);

-- Search documents (folded text) and their trigram indexes; triggers keep them in step.
CREATE TABLE search_contacts (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE search_accounts (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE VIRTUAL TABLE search_contacts_fts USING fts5(doc, content='search_contacts', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE search_accounts_fts USING fts5(doc, content='search_accounts', content_rowid='id', tokenize='trigram');
CREATE TRIGGER search_contacts_ai AFTER INSERT ON search_contacts BEGIN
  INSERT INTO search_contacts_fts(rowid, doc) VALUES (new.id, new.doc);
END;
CREATE TRIGGER search_contacts_ad AFTER DELETE ON search_contacts BEGIN
  INSERT INTO search_contacts_fts(search_contacts_fts, rowid, doc) VALUES ('delete', old.id, old.doc);
END;
CREATE TRIGGER search_contacts_au AFTER UPDATE ON search_contacts BEGIN
  INSERT INTO search_contacts_fts(search_contacts_fts, rowid, doc) VALUES ('delete', old.id, old.doc);
  INSERT INTO search_contacts_fts(rowid, doc) VALUES (new.id, new.doc);
END;
CREATE TRIGGER search_accounts_ai AFTER INSERT ON search_accounts BEGIN
  INSERT INTO search_accounts_fts(rowid, doc) VALUES (new.id, new.doc);
END;
CREATE TRIGGER search_accounts_ad AFTER DELETE ON search_accounts BEGIN
  INSERT INTO search_accounts_fts(search_accounts_fts, rowid, doc) VALUES ('delete', old.id, old.doc);
END;
CREATE TRIGGER search_accounts_au AFTER UPDATE ON search_accounts BEGIN
  INSERT INTO search_accounts_fts(search_accounts_fts, rowid, doc) VALUES ('delete', old.id, old.doc);
  INSERT INTO search_accounts_fts(rowid, doc) VALUES (new.id, new.doc);
END;
