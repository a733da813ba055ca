-- The comments' search (`q=`) through an index: a pg_trgm GIN index over the text answers
-- (top-level JSON strings, as the search's exact check reads them, joined by newlines), which
-- serves the search's case-insensitive regular expression, so a search reads the matching
-- responses instead of every one (it still checks each candidate exactly: the index narrows).
-- pg_trgm ships with PostgreSQL and is a trusted extension: the database's owner may create
-- it. It is database-wide: where it already is, that schema's operator class is used;
-- otherwise it goes to `public`, so that dropping this store's schema never drops it.
CREATE FUNCTION tenpoint_text_answers(answers jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT string_agg(e.value #>> '{}', E'\n')
    FROM jsonb_each(answers) AS e
    WHERE jsonb_typeof(e.value) = 'string'
$$;

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
        'CREATE INDEX responses_text ON responses USING gin (tenpoint_text_answers(answers) %I.gin_trgm_ops)',
        trgm_schema
    );
END
$$;
