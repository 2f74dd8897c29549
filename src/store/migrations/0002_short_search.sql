-- Needles of one or two characters (a surname: 李; most Chinese given names: 张伟; initials: zw)
-- cannot be answered by trigrams, and scanning every document took ~350 ms on a million
-- contacts. A second FTS5 index over the same documents uses the guanxi_short tokenizer
-- (registered by store/sqlite.c on every connection): each CJK character is a token, so a
-- two-character needle is a phrase of adjacent tokens, and each run of Latin letters or digits
-- is one token cut to its first two characters, so "z" and "zw" match the start of a field.
CREATE VIRTUAL TABLE search_contacts_short USING fts5(doc, content='search_contacts', content_rowid='id', tokenize='guanxi_short', prefix='1');
CREATE VIRTUAL TABLE search_accounts_short USING fts5(doc, content='search_accounts', content_rowid='id', tokenize='guanxi_short', prefix='1');
INSERT INTO search_contacts_short(search_contacts_short) VALUES ('rebuild');
INSERT INTO search_accounts_short(search_accounts_short) VALUES ('rebuild');

CREATE TRIGGER search_contacts_short_ai AFTER INSERT ON search_contacts BEGIN
  INSERT INTO search_contacts_short(rowid, doc) VALUES (new.id, new.doc);
END;
CREATE TRIGGER search_contacts_short_ad AFTER DELETE ON search_contacts BEGIN
  INSERT INTO search_contacts_short(search_contacts_short, rowid, doc) VALUES ('delete', old.id, old.doc);
END;
CREATE TRIGGER search_contacts_short_au AFTER UPDATE ON search_contacts BEGIN
  INSERT INTO search_contacts_short(search_contacts_short, rowid, doc) VALUES ('delete', old.id, old.doc);
  INSERT INTO search_contacts_short(rowid, doc) VALUES (new.id, new.doc);
END;
CREATE TRIGGER search_accounts_short_ai AFTER INSERT ON search_accounts BEGIN
  INSERT INTO search_accounts_short(rowid, doc) VALUES (new.id, new.doc);
END;
CREATE TRIGGER search_accounts_short_ad AFTER DELETE ON search_accounts BEGIN
  INSERT INTO search_accounts_short(search_accounts_short, rowid, doc) VALUES ('delete', old.id, old.doc);
END;
CREATE TRIGGER search_accounts_short_au AFTER UPDATE ON search_accounts BEGIN
  INSERT INTO search_accounts_short(search_accounts_short, rowid, doc) VALUES ('delete', old.id, old.doc);
  INSERT INTO search_accounts_short(rowid, doc) VALUES (new.id, new.doc);
END;
