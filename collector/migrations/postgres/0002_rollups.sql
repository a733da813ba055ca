-- Rollups per UTC day and per hour (`width` 86400000 or 3600000 ms; `bucket` is the start of
-- the day or hour in ms), kept by triggers in the same transaction as the rows they count, so
-- they are as durable and as current as the rows. A report reads whole days from the day rows,
-- whole hours of the partial days at either end from the hour rows, and only the partial hours
-- at either end from the responses themselves. The same tables and triggers exist for SQLite
-- (its 0002 migration). Collectors updating the same rollup rows serialize on those rows'
-- locks until they commit; the store applies each batch in one lock order and retries a batch
-- that loses a deadlock anyway.

-- Responses per bucket and NPS score (-1: no NPS answer) for the whole survey (dim = '',
-- value = ''), and NPS answers per page, location, channel, locale and device.
CREATE TABLE response_rollups (
    site    TEXT      NOT NULL,
    survey  TEXT      NOT NULL,
    width   BIGINT    NOT NULL,
    bucket  BIGINT    NOT NULL,
    dim     TEXT      NOT NULL,
    value   TEXT      NOT NULL,
    nps     SMALLINT  NOT NULL,
    n       BIGINT    NOT NULL,
    PRIMARY KEY (site, dim, width, bucket, survey, value, nps)
);

-- CSAT and CES answers per bucket and score.
CREATE TABLE score_rollups (
    site      TEXT      NOT NULL,
    survey    TEXT      NOT NULL,
    width     BIGINT    NOT NULL,
    bucket    BIGINT    NOT NULL,
    question  TEXT      NOT NULL,
    kind      TEXT      NOT NULL,
    score     SMALLINT  NOT NULL,
    n         BIGINT    NOT NULL,
    PRIMARY KEY (site, width, bucket, survey, question, kind, score)
);

-- GAP answers per bucket and aspect: the count and the sums the paired statistics need.
CREATE TABLE gap_rollups (
    site      TEXT    NOT NULL,
    survey    TEXT    NOT NULL,
    width     BIGINT  NOT NULL,
    bucket    BIGINT  NOT NULL,
    question  TEXT    NOT NULL,
    aspect    TEXT    NOT NULL,
    n         BIGINT  NOT NULL,
    s_exp     BIGINT  NOT NULL,
    ss_exp    BIGINT  NOT NULL,
    s_ex      BIGINT  NOT NULL,
    ss_ex     BIGINT  NOT NULL,
    s_d       BIGINT  NOT NULL,
    ss_d      BIGINT  NOT NULL,
    PRIMARY KEY (site, width, bucket, survey, question, aspect)
);

-- Displays per bucket of showing, and how many of them were dismissed.
CREATE TABLE display_rollups (
    site       TEXT    NOT NULL,
    survey     TEXT    NOT NULL,
    width      BIGINT  NOT NULL,
    bucket     BIGINT  NOT NULL,
    shown      BIGINT  NOT NULL,
    dismissed  BIGINT  NOT NULL,
    PRIMARY KEY (site, width, bucket, survey)
);

-- Statement-level triggers with transition tables: one aggregated upsert per statement, so a
-- bulk INSERT ... SELECT costs one pass over its rows and never updates one rollup row once per
-- row. `<table>_rollups_add(removed, added)` uncounts and counts rows; the triggers pass
-- inserted rows as added, deleted ones as removed, and for an update the old and new versions
-- of the rows whose counted columns changed (a follow-up answer merged into a response changes
-- none of them). Updates are matched on the primary key, which the collector never changes.
-- Static SQL, so plpgsql keeps each plan.

CREATE FUNCTION response_rollups_add(removed responses[], added responses[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_rollups AS t (site, survey, width, bucket, dim, value, nps, n)
    SELECT r.site, r.survey, g.w, r.created_at - r.created_at % g.w, d.dim, d.value, COALESCE(r.nps, -1), SUM(r.sign)
    FROM (SELECT r.*, -1::bigint AS sign FROM unnest(removed) AS r UNION ALL SELECT r.*, 1::bigint FROM unnest(added) AS r) AS r
    CROSS JOIN (VALUES (86400000::bigint), (3600000::bigint)) AS g (w)
    CROSS JOIN LATERAL (VALUES ('', ''), ('page', r.page_path), ('location', COALESCE(r.location, '')),
            ('channel', COALESCE(r.channel, '')), ('locale', COALESCE(r.locale, '')),
            ('device', COALESCE(r.device, ''))) AS d (dim, value)
    WHERE d.dim = '' OR r.nps IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (site, dim, width, bucket, survey, value, nps) DO UPDATE SET n = t.n + excluded.n;
END $$;

CREATE FUNCTION response_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM response_rollups_add('{}', ARRAY(SELECT n::responses FROM new_rows AS n));
    RETURN NULL;
END $$;

CREATE FUNCTION response_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM response_rollups_add(ARRAY(SELECT o::responses FROM old_rows AS o), '{}');
    RETURN NULL;
END $$;

CREATE FUNCTION response_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM response_rollups_add(
        ARRAY(SELECT o::responses FROM old_rows AS o JOIN new_rows AS n USING (site, id)
        WHERE (o.nps, o.survey, o.created_at, o.page_path, o.location, o.channel, o.locale, o.device)
            IS DISTINCT FROM (n.nps, n.survey, n.created_at, n.page_path, n.location, n.channel, n.locale, n.device)),
        ARRAY(SELECT n::responses FROM old_rows AS o JOIN new_rows AS n USING (site, id)
        WHERE (o.nps, o.survey, o.created_at, o.page_path, o.location, o.channel, o.locale, o.device)
            IS DISTINCT FROM (n.nps, n.survey, n.created_at, n.page_path, n.location, n.channel, n.locale, n.device)));
    RETURN NULL;
END $$;

CREATE TRIGGER response_rollups_insert AFTER INSERT ON responses
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION response_rollups_on_insert();
CREATE TRIGGER response_rollups_update AFTER UPDATE ON responses
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION response_rollups_on_update();
CREATE TRIGGER response_rollups_delete AFTER DELETE ON responses
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION response_rollups_on_delete();

CREATE FUNCTION score_rollups_add(removed scores[], added scores[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO score_rollups AS t (site, survey, width, bucket, question, kind, score, n)
    SELECT s.site, s.survey, g.w, s.created_at - s.created_at % g.w, s.question, s.kind, s.score, SUM(s.sign)
    FROM (SELECT r.*, -1::bigint AS sign FROM unnest(removed) AS r UNION ALL SELECT r.*, 1::bigint FROM unnest(added) AS r) AS s CROSS JOIN (VALUES (86400000::bigint), (3600000::bigint)) AS g (w)
    WHERE s.kind IN ('csat', 'ces') AND s.score IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (site, width, bucket, survey, question, kind, score) DO UPDATE SET n = t.n + excluded.n;
    INSERT INTO gap_rollups AS t (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT s.site, s.survey, g.w, s.created_at - s.created_at % g.w, s.question, s.aspect, SUM(s.sign),
        SUM(s.sign * s.expectation), SUM(s.sign * s.expectation * s.expectation),
        SUM(s.sign * s.experience), SUM(s.sign * s.experience * s.experience),
        SUM(s.sign * (s.experience - s.expectation)),
        SUM(s.sign * (s.experience - s.expectation) * (s.experience - s.expectation))
    FROM (SELECT r.*, -1::bigint AS sign FROM unnest(removed) AS r UNION ALL SELECT r.*, 1::bigint FROM unnest(added) AS r) AS s CROSS JOIN (VALUES (86400000::bigint), (3600000::bigint)) AS g (w)
    WHERE s.kind = 'gap' AND s.expectation IS NOT NULL AND s.experience IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (site, width, bucket, survey, question, aspect) DO UPDATE SET
        n = t.n + excluded.n, s_exp = t.s_exp + excluded.s_exp, ss_exp = t.ss_exp + excluded.ss_exp,
        s_ex = t.s_ex + excluded.s_ex, ss_ex = t.ss_ex + excluded.ss_ex,
        s_d = t.s_d + excluded.s_d, ss_d = t.ss_d + excluded.ss_d;
END $$;

CREATE FUNCTION score_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM score_rollups_add('{}', ARRAY(SELECT n::scores FROM new_rows AS n));
    RETURN NULL;
END $$;

CREATE FUNCTION score_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM score_rollups_add(ARRAY(SELECT o::scores FROM old_rows AS o), '{}');
    RETURN NULL;
END $$;

CREATE FUNCTION score_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM score_rollups_add(
        ARRAY(SELECT o::scores FROM old_rows AS o JOIN new_rows AS n USING (site, response_id, question, aspect)
        WHERE (o.score, o.expectation, o.experience, o.kind, o.created_at, o.survey)
            IS DISTINCT FROM (n.score, n.expectation, n.experience, n.kind, n.created_at, n.survey)),
        ARRAY(SELECT n::scores FROM old_rows AS o JOIN new_rows AS n USING (site, response_id, question, aspect)
        WHERE (o.score, o.expectation, o.experience, o.kind, o.created_at, o.survey)
            IS DISTINCT FROM (n.score, n.expectation, n.experience, n.kind, n.created_at, n.survey)));
    RETURN NULL;
END $$;

CREATE TRIGGER score_rollups_insert AFTER INSERT ON scores
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION score_rollups_on_insert();
CREATE TRIGGER score_rollups_update AFTER UPDATE ON scores
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION score_rollups_on_update();
CREATE TRIGGER score_rollups_delete AFTER DELETE ON scores
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION score_rollups_on_delete();

CREATE FUNCTION display_rollups_add(removed displays[], added displays[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO display_rollups AS t (site, survey, width, bucket, shown, dismissed)
    SELECT x.site, x.survey, g.w, x.created_at - x.created_at % g.w, SUM(x.sign),
           SUM(CASE WHEN x.dismissed_at IS NULL THEN 0 ELSE x.sign END)
    FROM (SELECT r.*, -1::bigint AS sign FROM unnest(removed) AS r UNION ALL SELECT r.*, 1::bigint FROM unnest(added) AS r) AS x CROSS JOIN (VALUES (86400000::bigint), (3600000::bigint)) AS g (w)
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (site, width, bucket, survey) DO UPDATE SET
        shown = t.shown + excluded.shown, dismissed = t.dismissed + excluded.dismissed;
END $$;

CREATE FUNCTION display_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM display_rollups_add('{}', ARRAY(SELECT n::displays FROM new_rows AS n));
    RETURN NULL;
END $$;

CREATE FUNCTION display_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM display_rollups_add(ARRAY(SELECT o::displays FROM old_rows AS o), '{}');
    RETURN NULL;
END $$;

CREATE FUNCTION display_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM display_rollups_add(
        ARRAY(SELECT o::displays FROM old_rows AS o JOIN new_rows AS n USING (site, id)
        WHERE (o.dismissed_at, o.survey, o.created_at)
            IS DISTINCT FROM (n.dismissed_at, n.survey, n.created_at)),
        ARRAY(SELECT n::displays FROM old_rows AS o JOIN new_rows AS n USING (site, id)
        WHERE (o.dismissed_at, o.survey, o.created_at)
            IS DISTINCT FROM (n.dismissed_at, n.survey, n.created_at)));
    RETURN NULL;
END $$;

CREATE TRIGGER display_rollups_insert AFTER INSERT ON displays
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION display_rollups_on_insert();
CREATE TRIGGER display_rollups_update AFTER UPDATE ON displays
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION display_rollups_on_update();
CREATE TRIGGER display_rollups_delete AFTER DELETE ON displays
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION display_rollups_on_delete();

-- What was stored before this migration.
INSERT INTO response_rollups (site, survey, width, bucket, dim, value, nps, n)
SELECT r.site, r.survey, g.w, r.created_at - r.created_at % g.w, d.dim, d.value, COALESCE(r.nps, -1), COUNT(*)
FROM responses AS r
CROSS JOIN (VALUES (86400000::bigint), (3600000::bigint)) AS g (w)
CROSS JOIN LATERAL (VALUES ('', ''), ('page', r.page_path), ('location', COALESCE(r.location, '')),
        ('channel', COALESCE(r.channel, '')), ('locale', COALESCE(r.locale, '')),
        ('device', COALESCE(r.device, ''))) AS d (dim, value)
WHERE d.dim = '' OR r.nps IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO score_rollups (site, survey, width, bucket, question, kind, score, n)
SELECT s.site, s.survey, g.w, s.created_at - s.created_at % g.w, s.question, s.kind, s.score, COUNT(*)
FROM scores AS s CROSS JOIN (VALUES (86400000::bigint), (3600000::bigint)) AS g (w)
WHERE s.kind IN ('csat', 'ces') AND s.score IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO gap_rollups (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
SELECT s.site, s.survey, g.w, s.created_at - s.created_at % g.w, s.question, s.aspect, COUNT(*),
    SUM(s.expectation), SUM(s.expectation * s.expectation), SUM(s.experience), SUM(s.experience * s.experience),
    SUM(s.experience - s.expectation), SUM((s.experience - s.expectation) * (s.experience - s.expectation))
FROM scores AS s CROSS JOIN (VALUES (86400000::bigint), (3600000::bigint)) AS g (w)
WHERE s.kind = 'gap' AND s.expectation IS NOT NULL AND s.experience IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO display_rollups (site, survey, width, bucket, shown, dismissed)
SELECT x.site, x.survey, g.w, x.created_at - x.created_at % g.w, COUNT(*), COUNT(x.dismissed_at)
FROM displays AS x CROSS JOIN (VALUES (86400000::bigint), (3600000::bigint)) AS g (w)
GROUP BY 1, 2, 3, 4;
