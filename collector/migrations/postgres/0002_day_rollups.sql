-- Per-day rollups (UTC days: created_at / 86400000), kept by triggers in the same transaction
-- as the rows they count, so they are exactly as durable and as current as the rows. Reports
-- read whole days here and only the partial days at either end of a period from the rows.
-- The same tables and triggers exist for SQLite (its 0002 migration). Several collectors
-- updating one day's rows serialize on those rows' locks until they commit; a deadlock
-- between two of them (batches touching two surveys in opposite orders) makes the store
-- retry the batch.

-- Responses per day and NPS score (-1: no NPS answer), for the whole survey (dim = '', value =
-- '') and, for NPS answers only, per page, location, channel, locale and device.
CREATE TABLE response_days (
    site    TEXT      NOT NULL,
    survey  TEXT      NOT NULL,
    day     BIGINT    NOT NULL,
    dim     TEXT      NOT NULL,
    value   TEXT      NOT NULL,
    nps     SMALLINT  NOT NULL,
    n       BIGINT    NOT NULL,
    PRIMARY KEY (site, survey, dim, day, value, nps)
);

-- CSAT and CES answers per day and score.
CREATE TABLE score_days (
    site      TEXT      NOT NULL,
    survey    TEXT      NOT NULL,
    day       BIGINT    NOT NULL,
    question  TEXT      NOT NULL,
    kind      TEXT      NOT NULL,
    score     SMALLINT  NOT NULL,
    n         BIGINT    NOT NULL,
    PRIMARY KEY (site, survey, day, question, kind, score)
);

-- GAP answers per day and aspect: the count and the sums the paired statistics need.
CREATE TABLE gap_days (
    site      TEXT    NOT NULL,
    survey    TEXT    NOT NULL,
    day       BIGINT  NOT NULL,
    question  TEXT    NOT NULL,
    aspect    TEXT    NOT NULL,
    n         BIGINT  NOT NULL,
    s_exp     BIGINT  NOT NULL,
    ss_exp    BIGINT  NOT NULL,
    s_ex      BIGINT  NOT NULL,
    ss_ex     BIGINT  NOT NULL,
    s_d       BIGINT  NOT NULL,
    ss_d      BIGINT  NOT NULL,
    PRIMARY KEY (site, survey, day, question, aspect)
);

-- Displays per day of showing, and how many of them were dismissed.
CREATE TABLE display_days (
    site       TEXT    NOT NULL,
    survey     TEXT    NOT NULL,
    day        BIGINT  NOT NULL,
    shown      BIGINT  NOT NULL,
    dismissed  BIGINT  NOT NULL,
    PRIMARY KEY (site, survey, day)
);

-- Adds (sign 1) or removes (sign -1) one response's counts.
CREATE FUNCTION response_days_add(r responses, sign BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_days AS t (site, survey, day, dim, value, nps, n)
    VALUES (r.site, r.survey, r.created_at / 86400000, '', '', COALESCE(r.nps, -1), sign)
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = t.n + excluded.n;
    IF r.nps IS NOT NULL THEN
        INSERT INTO response_days AS t (site, survey, day, dim, value, nps, n)
        VALUES (r.site, r.survey, r.created_at / 86400000, 'page', r.page_path, r.nps, sign),
               (r.site, r.survey, r.created_at / 86400000, 'location', COALESCE(r.location, ''), r.nps, sign),
               (r.site, r.survey, r.created_at / 86400000, 'channel', COALESCE(r.channel, ''), r.nps, sign),
               (r.site, r.survey, r.created_at / 86400000, 'locale', COALESCE(r.locale, ''), r.nps, sign),
               (r.site, r.survey, r.created_at / 86400000, 'device', COALESCE(r.device, ''), r.nps, sign)
        ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = t.n + excluded.n;
    END IF;
END $$;

CREATE FUNCTION response_days_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM response_days_add(OLD, -1); END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM response_days_add(NEW, 1); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER response_days_insert_delete AFTER INSERT OR DELETE ON responses
FOR EACH ROW EXECUTE FUNCTION response_days_trigger();

-- A follow-up answer merged into a response changes none of the counted columns.
CREATE TRIGGER response_days_update AFTER UPDATE ON responses
FOR EACH ROW WHEN (OLD.nps IS DISTINCT FROM NEW.nps OR OLD.site IS DISTINCT FROM NEW.site
    OR OLD.survey IS DISTINCT FROM NEW.survey OR OLD.created_at IS DISTINCT FROM NEW.created_at
    OR OLD.page_path IS DISTINCT FROM NEW.page_path OR OLD.location IS DISTINCT FROM NEW.location
    OR OLD.channel IS DISTINCT FROM NEW.channel OR OLD.locale IS DISTINCT FROM NEW.locale
    OR OLD.device IS DISTINCT FROM NEW.device)
EXECUTE FUNCTION response_days_trigger();

CREATE FUNCTION score_days_add(s scores, sign BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF s.kind IN ('csat', 'ces') AND s.score IS NOT NULL THEN
        INSERT INTO score_days AS t (site, survey, day, question, kind, score, n)
        VALUES (s.site, s.survey, s.created_at / 86400000, s.question, s.kind, s.score, sign)
        ON CONFLICT (site, survey, day, question, kind, score) DO UPDATE SET n = t.n + excluded.n;
    ELSIF s.kind = 'gap' AND s.expectation IS NOT NULL AND s.experience IS NOT NULL THEN
        INSERT INTO gap_days AS t (site, survey, day, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
        VALUES (s.site, s.survey, s.created_at / 86400000, s.question, s.aspect, sign,
            sign * s.expectation, sign * s.expectation * s.expectation,
            sign * s.experience, sign * s.experience * s.experience,
            sign * (s.experience - s.expectation), sign * (s.experience - s.expectation) * (s.experience - s.expectation))
        ON CONFLICT (site, survey, day, question, aspect) DO UPDATE SET
            n = t.n + excluded.n, s_exp = t.s_exp + excluded.s_exp, ss_exp = t.ss_exp + excluded.ss_exp,
            s_ex = t.s_ex + excluded.s_ex, ss_ex = t.ss_ex + excluded.ss_ex,
            s_d = t.s_d + excluded.s_d, ss_d = t.ss_d + excluded.ss_d;
    END IF;
END $$;

CREATE FUNCTION score_days_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM score_days_add(OLD, -1); END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM score_days_add(NEW, 1); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER score_days_insert_delete AFTER INSERT OR DELETE ON scores
FOR EACH ROW EXECUTE FUNCTION score_days_trigger();

CREATE TRIGGER score_days_update AFTER UPDATE ON scores
FOR EACH ROW WHEN (OLD.score IS DISTINCT FROM NEW.score OR OLD.expectation IS DISTINCT FROM NEW.expectation
    OR OLD.experience IS DISTINCT FROM NEW.experience OR OLD.kind IS DISTINCT FROM NEW.kind
    OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.survey IS DISTINCT FROM NEW.survey
    OR OLD.site IS DISTINCT FROM NEW.site OR OLD.question IS DISTINCT FROM NEW.question
    OR OLD.aspect IS DISTINCT FROM NEW.aspect)
EXECUTE FUNCTION score_days_trigger();

CREATE FUNCTION display_days_add(d displays, sign BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO display_days AS t (site, survey, day, shown, dismissed)
    VALUES (d.site, d.survey, d.created_at / 86400000, sign,
            CASE WHEN d.dismissed_at IS NULL THEN 0 ELSE sign END)
    ON CONFLICT (site, survey, day) DO UPDATE SET
        shown = t.shown + excluded.shown, dismissed = t.dismissed + excluded.dismissed;
END $$;

CREATE FUNCTION display_days_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM display_days_add(OLD, -1); END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM display_days_add(NEW, 1); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER display_days_insert_delete AFTER INSERT OR DELETE ON displays
FOR EACH ROW EXECUTE FUNCTION display_days_trigger();

CREATE TRIGGER display_days_update AFTER UPDATE ON displays
FOR EACH ROW WHEN ((OLD.dismissed_at IS NULL) IS DISTINCT FROM (NEW.dismissed_at IS NULL)
    OR OLD.site IS DISTINCT FROM NEW.site OR OLD.survey IS DISTINCT FROM NEW.survey
    OR OLD.created_at IS DISTINCT FROM NEW.created_at)
EXECUTE FUNCTION display_days_trigger();

-- What was stored before this migration.
INSERT INTO response_days (site, survey, day, dim, value, nps, n)
SELECT site, survey, created_at / 86400000, '', '', COALESCE(nps, -1), COUNT(*)
FROM responses GROUP BY 1, 2, 3, 6;
INSERT INTO response_days (site, survey, day, dim, value, nps, n)
SELECT site, survey, day, dim, value, nps, COUNT(*) FROM (
    SELECT site, survey, created_at / 86400000 AS day, 'page' AS dim, page_path AS value, nps FROM responses WHERE nps IS NOT NULL
    UNION ALL SELECT site, survey, created_at / 86400000, 'location', COALESCE(location, ''), nps FROM responses WHERE nps IS NOT NULL
    UNION ALL SELECT site, survey, created_at / 86400000, 'channel', COALESCE(channel, ''), nps FROM responses WHERE nps IS NOT NULL
    UNION ALL SELECT site, survey, created_at / 86400000, 'locale', COALESCE(locale, ''), nps FROM responses WHERE nps IS NOT NULL
    UNION ALL SELECT site, survey, created_at / 86400000, 'device', COALESCE(device, ''), nps FROM responses WHERE nps IS NOT NULL
) AS d GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO score_days (site, survey, day, question, kind, score, n)
SELECT site, survey, created_at / 86400000, question, kind, score, COUNT(*)
FROM scores WHERE kind IN ('csat', 'ces') AND score IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO gap_days (site, survey, day, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
SELECT site, survey, created_at / 86400000, question, aspect, COUNT(*),
    SUM(expectation), SUM(expectation * expectation), SUM(experience), SUM(experience * experience),
    SUM(experience - expectation), SUM((experience - expectation) * (experience - expectation))
FROM scores WHERE kind = 'gap' AND expectation IS NOT NULL AND experience IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO display_days (site, survey, day, shown, dismissed)
SELECT site, survey, created_at / 86400000, COUNT(*), COUNT(dismissed_at) FROM displays GROUP BY 1, 2, 3;
