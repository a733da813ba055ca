-- The comments' search (`q=`) through an index: FTS5 with the trigram tokenizer indexes every
-- three characters of the text answers, case folded, so a search for any substring of three
-- or more characters reads the matching responses instead of every one (a search still checks
-- each candidate with its exact pattern: the index only narrows). FTS5 finds rows by rowid and
-- `responses` has none (WITHOUT ROWID): `search_rows` numbers the responses that have text.
-- The index holds no copy of the text (contentless), and `secure-delete` removes an erased
-- visitor's trigrams from it at once rather than at some later merge.
CREATE TABLE search_rows (
    n     INTEGER PRIMARY KEY,
    site  TEXT NOT NULL,
    id    TEXT NOT NULL,
    UNIQUE (site, id)
);

CREATE VIRTUAL TABLE search_text USING fts5(
    body, tokenize = 'trigram', content = '', contentless_delete = 1
);
INSERT INTO search_text (search_text, rank) VALUES ('secure-delete', 1);

-- The text of a response is its text answers (top-level JSON strings, as the search's exact
-- check reads them) joined by newlines; the triggers keep the index to every write, merge and
-- erasure, whichever code path makes it.
CREATE TRIGGER responses_search_insert AFTER INSERT ON responses
WHEN EXISTS (SELECT 1 FROM json_each(new.answers) WHERE type = 'text')
BEGIN
    INSERT INTO search_rows (site, id) VALUES (new.site, new.id);
    INSERT INTO search_text (rowid, body)
    SELECT s.n, (SELECT group_concat(value, char(10)) FROM json_each(new.answers) WHERE type = 'text')
    FROM search_rows s WHERE s.site = new.site AND s.id = new.id;
END;

CREATE TRIGGER responses_search_update AFTER UPDATE OF answers ON responses
BEGIN
    DELETE FROM search_text
    WHERE rowid = (SELECT n FROM search_rows WHERE site = old.site AND id = old.id);
    DELETE FROM search_rows WHERE site = old.site AND id = old.id;
    INSERT INTO search_rows (site, id)
    SELECT new.site, new.id
    WHERE EXISTS (SELECT 1 FROM json_each(new.answers) WHERE type = 'text');
    INSERT INTO search_text (rowid, body)
    SELECT s.n, (SELECT group_concat(value, char(10)) FROM json_each(new.answers) WHERE type = 'text')
    FROM search_rows s WHERE s.site = new.site AND s.id = new.id;
END;

CREATE TRIGGER responses_search_delete AFTER DELETE ON responses
BEGIN
    DELETE FROM search_text
    WHERE rowid = (SELECT n FROM search_rows WHERE site = old.site AND id = old.id);
    DELETE FROM search_rows WHERE site = old.site AND id = old.id;
END;

-- The responses stored before this migration.
INSERT INTO search_rows (site, id)
SELECT site, id FROM responses
WHERE EXISTS (SELECT 1 FROM json_each(responses.answers) WHERE type = 'text');
INSERT INTO search_text (rowid, body)
SELECT s.n, (SELECT group_concat(value, char(10)) FROM json_each(r.answers) WHERE type = 'text')
FROM search_rows s JOIN responses r ON r.site = s.site AND r.id = s.id;
