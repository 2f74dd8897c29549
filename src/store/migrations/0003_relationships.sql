-- 0003_relationships: the customer's own relationships (issue 4). People inside an account get a
-- place in its org chart (department, reports_to_id) and a role in buying; every change of a
-- person's account, title, department or buying role leaves a row in contact_positions, so who
-- held which title when, who joined and who left stays answerable after people move. Customers
-- relate to customers of the same kind (account to account, person to person) in relationships.

ALTER TABLE contacts ADD COLUMN department TEXT;
-- Within the same account (contacts.c checks it); a manager who still has reports cannot be
-- deleted (the foreign key makes that a 409, as for any record others refer to).
ALTER TABLE contacts ADD COLUMN reports_to_id INTEGER REFERENCES contacts(id);
ALTER TABLE contacts ADD COLUMN buying_role TEXT
  CHECK (buying_role IN ('decision_maker','influencer','buyer','user','gatekeeper','champion','blocker'));
CREATE INDEX contacts_reports_to ON contacts(reports_to_id) WHERE reports_to_id IS NOT NULL;
CREATE INDEX contacts_buying_role ON contacts(buying_role, account_id) WHERE buying_role IS NOT NULL;

-- One row per period a person held a position: valid_to is NULL for the current one. Written by
-- crm/positions.c in the transaction of the contact's change; account_id is history, not a link
-- (an account may be deleted once its people have moved on).
CREATE TABLE contact_positions (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  account_id  INTEGER,
  title       TEXT,
  department  TEXT,
  buying_role TEXT,
  valid_from  INTEGER NOT NULL,
  valid_to    INTEGER,
  user_id     INTEGER REFERENCES users(id)
);
CREATE INDEX contact_positions_contact ON contact_positions(contact_id, id);
CREATE INDEX contact_positions_account ON contact_positions(account_id, id);

-- The people already on file start their history at their creation.
INSERT INTO contact_positions(contact_id, account_id, title, valid_from)
  SELECT id, account_id, title, created_at FROM contacts
  WHERE account_id IS NOT NULL OR title IS NOT NULL;

-- Directed: "from is <type> of/to to" (from_kind = to_kind). Symmetric types (partner,
-- competitor, colleague, family, friend, former_colleague) read the same both ways. Validity
-- dates are YYYY-MM-DD, NULL for open-ended. No foreign keys (the ends are of either kind):
-- crm/relationships.c deletes a customer's relationships, with audit rows, when it is deleted.
CREATE TABLE relationships (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  from_kind   TEXT NOT NULL CHECK (from_kind IN ('account','contact')),
  from_id     INTEGER NOT NULL,
  to_kind     TEXT NOT NULL,
  to_id       INTEGER NOT NULL,
  type        TEXT NOT NULL,
  strength    INTEGER NOT NULL DEFAULT 3 CHECK (strength BETWEEN 1 AND 5),
  note        TEXT,
  valid_from  TEXT,
  valid_to    TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1,
  CHECK (to_kind = from_kind),
  CHECK (from_id <> to_id),
  CHECK ((from_kind = 'account' AND type IN ('parent','subsidiary','partner','competitor','supplier','customer_of','referred_by'))
      OR (from_kind = 'contact' AND type IN ('reports_to','colleague','family','friend','referred_by','former_colleague'))),
  CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)
);
CREATE UNIQUE INDEX relationships_pair ON relationships(from_kind, from_id, to_id, type);
CREATE INDEX relationships_to ON relationships(to_kind, to_id);
CREATE INDEX relationships_type ON relationships(type, from_kind);
