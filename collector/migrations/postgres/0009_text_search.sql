-- The comments' search (`q=`) through an index: a pg_trgm GIN index over the text answers,
-- which serves the search's case-insensitive regular expression, so a search reads the
-- matching responses instead of every one (it still checks each candidate exactly: the index
-- narrows). The indexed text is the JSON array of the text answers (top-level JSON strings, as
-- the search's exact check reads them), made by a built-in jsonpath: a SQL function doing the
-- same runs through the executor for every row a write indexes, which halved ingest on the
-- bench (20,000 inserts: 1,139 ms with such a function, 383 ms with this, 207 ms with no index).
-- JSON escapes `"`, `\` and control characters, so a text with one of those is searched
-- without the index; any other piece of an answer appears in it as it is. The search names
-- the same expression (`storage::backend::PG_TEXT_ANSWERS`).
--
-- pg_trgm ships with PostgreSQL and is a trusted extension: the database's owner may create
-- it. It is database-wide: where it already is, that schema's operator class is used;
-- otherwise it goes to `public`, so that dropping this store's schema never drops it.
DO $$
DECLARE
    trgm_schema text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
            CREATE EXTENSION pg_trgm WITH SCHEMA public;
        ELSE
            CREATE EXTENSION pg_trgm;
        END IF;
    END IF;
    SELECT n.nspname INTO trgm_schema
    FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
    WHERE x.extname = 'pg_trgm';
    EXECUTE format(
        'CREATE INDEX responses_text ON responses USING gin ('
        || 'CAST(jsonb_path_query_array(answers, ''strict $.* ? (@.type() == "string")'') AS text) '
        || '%I.gin_trgm_ops)',
        trgm_schema
    );
END
$$;
