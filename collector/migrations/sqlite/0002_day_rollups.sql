-- Per-day rollups (UTC days: created_at / 86400000), kept by triggers in the same transaction
-- as the rows they count, so they are exactly as durable and as current as the rows. Reports
-- read whole days here and only the partial days at either end of a period from the rows;
-- a year of answers is a few thousand rollup rows instead of millions of responses.
-- The same tables and triggers exist for PostgreSQL (its 0002 migration).

-- Responses per day and NPS score (-1: no NPS answer), for the whole survey (dim = '', value =
-- '') and, for NPS answers only, per page, location, channel, locale and device.
CREATE TABLE response_days (
    site    TEXT    NOT NULL,
    survey  TEXT    NOT NULL,
    day     INTEGER NOT NULL,
    dim     TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    nps     INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (site, survey, dim, day, value, nps)
) WITHOUT ROWID;

-- CSAT and CES answers per day and score.
CREATE TABLE score_days (
    site      TEXT    NOT NULL,
    survey    TEXT    NOT NULL,
    day       INTEGER NOT NULL,
    question  TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    score     INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (site, survey, day, question, kind, score)
) WITHOUT ROWID;

-- GAP answers per day and aspect: the count and the sums the paired statistics need.
CREATE TABLE gap_days (
    site      TEXT    NOT NULL,
    survey    TEXT    NOT NULL,
    day       INTEGER NOT NULL,
    question  TEXT    NOT NULL,
    aspect    TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    s_exp     INTEGER NOT NULL,
    ss_exp    INTEGER NOT NULL,
    s_ex      INTEGER NOT NULL,
    ss_ex     INTEGER NOT NULL,
    s_d       INTEGER NOT NULL,
    ss_d      INTEGER NOT NULL,
    PRIMARY KEY (site, survey, day, question, aspect)
) WITHOUT ROWID;

-- Displays per day of showing, and how many of them were dismissed.
CREATE TABLE display_days (
    site       TEXT    NOT NULL,
    survey     TEXT    NOT NULL,
    day        INTEGER NOT NULL,
    shown      INTEGER NOT NULL,
    dismissed  INTEGER NOT NULL,
    PRIMARY KEY (site, survey, day)
) WITHOUT ROWID;

-- responses -> response_days. An update moves a row's counts only when a counted column
-- changed (a follow-up answer merged into a response changes none of them).
CREATE TRIGGER response_days_insert AFTER INSERT ON responses BEGIN
    INSERT INTO response_days (site, survey, day, dim, value, nps, n)
    VALUES (NEW.site, NEW.survey, NEW.created_at / 86400000, '', '', COALESCE(NEW.nps, -1), 1)
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = n + excluded.n;
    INSERT INTO response_days (site, survey, day, dim, value, nps, n)
    SELECT NEW.site, NEW.survey, NEW.created_at / 86400000, d.dim, d.value, NEW.nps, 1
    FROM (SELECT 'page' AS dim, NEW.page_path AS value
          UNION ALL SELECT 'location', COALESCE(NEW.location, '')
          UNION ALL SELECT 'channel', COALESCE(NEW.channel, '')
          UNION ALL SELECT 'locale', COALESCE(NEW.locale, '')
          UNION ALL SELECT 'device', COALESCE(NEW.device, '')) AS d
    WHERE NEW.nps IS NOT NULL
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER response_days_delete AFTER DELETE ON responses BEGIN
    INSERT INTO response_days (site, survey, day, dim, value, nps, n)
    VALUES (OLD.site, OLD.survey, OLD.created_at / 86400000, '', '', COALESCE(OLD.nps, -1), -1)
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = n + excluded.n;
    INSERT INTO response_days (site, survey, day, dim, value, nps, n)
    SELECT OLD.site, OLD.survey, OLD.created_at / 86400000, d.dim, d.value, OLD.nps, -1
    FROM (SELECT 'page' AS dim, OLD.page_path AS value
          UNION ALL SELECT 'location', COALESCE(OLD.location, '')
          UNION ALL SELECT 'channel', COALESCE(OLD.channel, '')
          UNION ALL SELECT 'locale', COALESCE(OLD.locale, '')
          UNION ALL SELECT 'device', COALESCE(OLD.device, '')) AS d
    WHERE OLD.nps IS NOT NULL
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER response_days_update AFTER UPDATE ON responses
WHEN OLD.nps IS NOT NEW.nps OR OLD.site IS NOT NEW.site OR OLD.survey IS NOT NEW.survey
  OR OLD.created_at IS NOT NEW.created_at OR OLD.page_path IS NOT NEW.page_path
  OR OLD.location IS NOT NEW.location OR OLD.channel IS NOT NEW.channel
  OR OLD.locale IS NOT NEW.locale OR OLD.device IS NOT NEW.device
BEGIN
    INSERT INTO response_days (site, survey, day, dim, value, nps, n)
    VALUES (OLD.site, OLD.survey, OLD.created_at / 86400000, '', '', COALESCE(OLD.nps, -1), -1)
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = n + excluded.n;
    INSERT INTO response_days (site, survey, day, dim, value, nps, n)
    SELECT OLD.site, OLD.survey, OLD.created_at / 86400000, d.dim, d.value, OLD.nps, -1
    FROM (SELECT 'page' AS dim, OLD.page_path AS value
          UNION ALL SELECT 'location', COALESCE(OLD.location, '')
          UNION ALL SELECT 'channel', COALESCE(OLD.channel, '')
          UNION ALL SELECT 'locale', COALESCE(OLD.locale, '')
          UNION ALL SELECT 'device', COALESCE(OLD.device, '')) AS d
    WHERE OLD.nps IS NOT NULL
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = n + excluded.n;
    INSERT INTO response_days (site, survey, day, dim, value, nps, n)
    VALUES (NEW.site, NEW.survey, NEW.created_at / 86400000, '', '', COALESCE(NEW.nps, -1), 1)
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = n + excluded.n;
    INSERT INTO response_days (site, survey, day, dim, value, nps, n)
    SELECT NEW.site, NEW.survey, NEW.created_at / 86400000, d.dim, d.value, NEW.nps, 1
    FROM (SELECT 'page' AS dim, NEW.page_path AS value
          UNION ALL SELECT 'location', COALESCE(NEW.location, '')
          UNION ALL SELECT 'channel', COALESCE(NEW.channel, '')
          UNION ALL SELECT 'locale', COALESCE(NEW.locale, '')
          UNION ALL SELECT 'device', COALESCE(NEW.device, '')) AS d
    WHERE NEW.nps IS NOT NULL
    ON CONFLICT (site, survey, dim, day, value, nps) DO UPDATE SET n = n + excluded.n;
END;

-- scores -> score_days (CSAT, CES) and gap_days (GAP). A row counts when its values are set.
CREATE TRIGGER score_days_insert AFTER INSERT ON scores BEGIN
    INSERT INTO score_days (site, survey, day, question, kind, score, n)
    SELECT NEW.site, NEW.survey, NEW.created_at / 86400000, NEW.question, NEW.kind, NEW.score, 1
    WHERE NEW.kind IN ('csat', 'ces') AND NEW.score IS NOT NULL
    ON CONFLICT (site, survey, day, question, kind, score) DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_days (site, survey, day, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT NEW.site, NEW.survey, NEW.created_at / 86400000, NEW.question, NEW.aspect, 1,
        NEW.expectation, NEW.expectation * NEW.expectation,
        NEW.experience, NEW.experience * NEW.experience,
        NEW.experience - NEW.expectation, (NEW.experience - NEW.expectation) * (NEW.experience - NEW.expectation)
    WHERE NEW.kind = 'gap' AND NEW.expectation IS NOT NULL AND NEW.experience IS NOT NULL
    ON CONFLICT (site, survey, day, question, aspect) DO UPDATE SET
        n = n + excluded.n, s_exp = s_exp + excluded.s_exp, ss_exp = ss_exp + excluded.ss_exp,
        s_ex = s_ex + excluded.s_ex, ss_ex = ss_ex + excluded.ss_ex,
        s_d = s_d + excluded.s_d, ss_d = ss_d + excluded.ss_d;
END;

CREATE TRIGGER score_days_delete AFTER DELETE ON scores BEGIN
    INSERT INTO score_days (site, survey, day, question, kind, score, n)
    SELECT OLD.site, OLD.survey, OLD.created_at / 86400000, OLD.question, OLD.kind, OLD.score, -1
    WHERE OLD.kind IN ('csat', 'ces') AND OLD.score IS NOT NULL
    ON CONFLICT (site, survey, day, question, kind, score) DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_days (site, survey, day, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT OLD.site, OLD.survey, OLD.created_at / 86400000, OLD.question, OLD.aspect, -1,
        -OLD.expectation, -OLD.expectation * OLD.expectation,
        -OLD.experience, -OLD.experience * OLD.experience,
        -(OLD.experience - OLD.expectation), -(OLD.experience - OLD.expectation) * (OLD.experience - OLD.expectation)
    WHERE OLD.kind = 'gap' AND OLD.expectation IS NOT NULL AND OLD.experience IS NOT NULL
    ON CONFLICT (site, survey, day, question, aspect) DO UPDATE SET
        n = n + excluded.n, s_exp = s_exp + excluded.s_exp, ss_exp = ss_exp + excluded.ss_exp,
        s_ex = s_ex + excluded.s_ex, ss_ex = ss_ex + excluded.ss_ex,
        s_d = s_d + excluded.s_d, ss_d = ss_d + excluded.ss_d;
END;

CREATE TRIGGER score_days_update AFTER UPDATE ON scores
WHEN OLD.score IS NOT NEW.score OR OLD.expectation IS NOT NEW.expectation
  OR OLD.experience IS NOT NEW.experience OR OLD.kind IS NOT NEW.kind
  OR OLD.created_at IS NOT NEW.created_at OR OLD.survey IS NOT NEW.survey
  OR OLD.site IS NOT NEW.site OR OLD.question IS NOT NEW.question OR OLD.aspect IS NOT NEW.aspect
BEGIN
    INSERT INTO score_days (site, survey, day, question, kind, score, n)
    SELECT OLD.site, OLD.survey, OLD.created_at / 86400000, OLD.question, OLD.kind, OLD.score, -1
    WHERE OLD.kind IN ('csat', 'ces') AND OLD.score IS NOT NULL
    ON CONFLICT (site, survey, day, question, kind, score) DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_days (site, survey, day, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT OLD.site, OLD.survey, OLD.created_at / 86400000, OLD.question, OLD.aspect, -1,
        -OLD.expectation, -OLD.expectation * OLD.expectation,
        -OLD.experience, -OLD.experience * OLD.experience,
        -(OLD.experience - OLD.expectation), -(OLD.experience - OLD.expectation) * (OLD.experience - OLD.expectation)
    WHERE OLD.kind = 'gap' AND OLD.expectation IS NOT NULL AND OLD.experience IS NOT NULL
    ON CONFLICT (site, survey, day, question, aspect) DO UPDATE SET
        n = n + excluded.n, s_exp = s_exp + excluded.s_exp, ss_exp = ss_exp + excluded.ss_exp,
        s_ex = s_ex + excluded.s_ex, ss_ex = ss_ex + excluded.ss_ex,
        s_d = s_d + excluded.s_d, ss_d = ss_d + excluded.ss_d;
    INSERT INTO score_days (site, survey, day, question, kind, score, n)
    SELECT NEW.site, NEW.survey, NEW.created_at / 86400000, NEW.question, NEW.kind, NEW.score, 1
    WHERE NEW.kind IN ('csat', 'ces') AND NEW.score IS NOT NULL
    ON CONFLICT (site, survey, day, question, kind, score) DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_days (site, survey, day, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT NEW.site, NEW.survey, NEW.created_at / 86400000, NEW.question, NEW.aspect, 1,
        NEW.expectation, NEW.expectation * NEW.expectation,
        NEW.experience, NEW.experience * NEW.experience,
        NEW.experience - NEW.expectation, (NEW.experience - NEW.expectation) * (NEW.experience - NEW.expectation)
    WHERE NEW.kind = 'gap' AND NEW.expectation IS NOT NULL AND NEW.experience IS NOT NULL
    ON CONFLICT (site, survey, day, question, aspect) DO UPDATE SET
        n = n + excluded.n, s_exp = s_exp + excluded.s_exp, ss_exp = ss_exp + excluded.ss_exp,
        s_ex = s_ex + excluded.s_ex, ss_ex = ss_ex + excluded.ss_ex,
        s_d = s_d + excluded.s_d, ss_d = ss_d + excluded.ss_d;
END;

-- displays -> display_days.
CREATE TRIGGER display_days_insert AFTER INSERT ON displays BEGIN
    INSERT INTO display_days (site, survey, day, shown, dismissed)
    VALUES (NEW.site, NEW.survey, NEW.created_at / 86400000, 1, NEW.dismissed_at IS NOT NULL)
    ON CONFLICT (site, survey, day) DO UPDATE SET
        shown = shown + excluded.shown, dismissed = dismissed + excluded.dismissed;
END;

CREATE TRIGGER display_days_delete AFTER DELETE ON displays BEGIN
    INSERT INTO display_days (site, survey, day, shown, dismissed)
    VALUES (OLD.site, OLD.survey, OLD.created_at / 86400000, -1, -(OLD.dismissed_at IS NOT NULL))
    ON CONFLICT (site, survey, day) DO UPDATE SET
        shown = shown + excluded.shown, dismissed = dismissed + excluded.dismissed;
END;

CREATE TRIGGER display_days_update AFTER UPDATE ON displays
WHEN (OLD.dismissed_at IS NULL) IS NOT (NEW.dismissed_at IS NULL) OR OLD.site IS NOT NEW.site
  OR OLD.survey IS NOT NEW.survey OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO display_days (site, survey, day, shown, dismissed)
    VALUES (OLD.site, OLD.survey, OLD.created_at / 86400000, -1, -(OLD.dismissed_at IS NOT NULL))
    ON CONFLICT (site, survey, day) DO UPDATE SET
        shown = shown + excluded.shown, dismissed = dismissed + excluded.dismissed;
    INSERT INTO display_days (site, survey, day, shown, dismissed)
    VALUES (NEW.site, NEW.survey, NEW.created_at / 86400000, 1, NEW.dismissed_at IS NOT NULL)
    ON CONFLICT (site, survey, day) DO UPDATE SET
        shown = shown + excluded.shown, dismissed = dismissed + excluded.dismissed;
END;

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
) GROUP BY 1, 2, 3, 4, 5, 6;
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
