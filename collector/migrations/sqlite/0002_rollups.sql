-- Rollups per UTC day and per hour (`width` 86400000 or 3600000 ms; `bucket` is the start of
-- the day or hour in ms), kept by triggers in the same transaction as the rows they count, so
-- they are as durable and as current as the rows. A report reads whole days from the day rows,
-- whole hours of the partial days at either end from the hour rows, and only the partial hours
-- at either end from the responses themselves: a busy day costs a report no more than a quiet
-- one. The same tables and triggers exist for PostgreSQL (its 0002 migration).

-- Responses per bucket and NPS score (-1: no NPS answer) for the whole survey (dim = '',
-- value = ''), and NPS answers per page, location, channel, locale and device.
CREATE TABLE response_rollups (
    site    TEXT    NOT NULL,
    survey  TEXT    NOT NULL,
    width   INTEGER NOT NULL,
    bucket  INTEGER NOT NULL,
    dim     TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    nps     INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (site, survey, dim, width, bucket, value, nps)
) WITHOUT ROWID;

-- CSAT and CES answers per bucket and score.
CREATE TABLE score_rollups (
    site      TEXT    NOT NULL,
    survey    TEXT    NOT NULL,
    width     INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    question  TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    score     INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (site, survey, width, bucket, question, kind, score)
) WITHOUT ROWID;

-- GAP answers per bucket and aspect: the count and the sums the paired statistics need.
CREATE TABLE gap_rollups (
    site      TEXT    NOT NULL,
    survey    TEXT    NOT NULL,
    width     INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    question  TEXT    NOT NULL,
    aspect    TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    s_exp     INTEGER NOT NULL,
    ss_exp    INTEGER NOT NULL,
    s_ex      INTEGER NOT NULL,
    ss_ex     INTEGER NOT NULL,
    s_d       INTEGER NOT NULL,
    ss_d      INTEGER NOT NULL,
    PRIMARY KEY (site, survey, width, bucket, question, aspect)
) WITHOUT ROWID;

-- Displays per bucket of showing, and how many of them were dismissed.
CREATE TABLE display_rollups (
    site       TEXT    NOT NULL,
    survey     TEXT    NOT NULL,
    width      INTEGER NOT NULL,
    bucket     INTEGER NOT NULL,
    shown      INTEGER NOT NULL,
    dismissed  INTEGER NOT NULL,
    PRIMARY KEY (site, survey, width, bucket)
) WITHOUT ROWID;

-- An update moves a row's counts only when a counted column changed (a follow-up answer
-- merged into a response changes none of them).

CREATE TRIGGER response_rollups_insert AFTER INSERT ON responses BEGIN
    INSERT INTO response_rollups (site, survey, width, bucket, dim, value, nps, n)
    SELECT NEW.site, NEW.survey, g.w, NEW.created_at - NEW.created_at % g.w, d.dim, d.value, COALESCE(NEW.nps, -1), 1
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g,
         (SELECT '' AS dim, '' AS value
          UNION ALL SELECT 'page', NEW.page_path
          UNION ALL SELECT 'location', COALESCE(NEW.location, '')
          UNION ALL SELECT 'channel', COALESCE(NEW.channel, '')
          UNION ALL SELECT 'locale', COALESCE(NEW.locale, '')
          UNION ALL SELECT 'device', COALESCE(NEW.device, '')) AS d
    WHERE d.dim = '' OR NEW.nps IS NOT NULL
    ON CONFLICT (site, survey, dim, width, bucket, value, nps) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER response_rollups_delete AFTER DELETE ON responses BEGIN
    INSERT INTO response_rollups (site, survey, width, bucket, dim, value, nps, n)
    SELECT OLD.site, OLD.survey, g.w, OLD.created_at - OLD.created_at % g.w, d.dim, d.value, COALESCE(OLD.nps, -1), -1
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g,
         (SELECT '' AS dim, '' AS value
          UNION ALL SELECT 'page', OLD.page_path
          UNION ALL SELECT 'location', COALESCE(OLD.location, '')
          UNION ALL SELECT 'channel', COALESCE(OLD.channel, '')
          UNION ALL SELECT 'locale', COALESCE(OLD.locale, '')
          UNION ALL SELECT 'device', COALESCE(OLD.device, '')) AS d
    WHERE d.dim = '' OR OLD.nps IS NOT NULL
    ON CONFLICT (site, survey, dim, width, bucket, value, nps) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER response_rollups_update AFTER UPDATE ON responses
WHEN OLD.nps IS NOT NEW.nps OR OLD.site IS NOT NEW.site OR OLD.survey IS NOT NEW.survey
  OR OLD.created_at IS NOT NEW.created_at OR OLD.page_path IS NOT NEW.page_path
  OR OLD.location IS NOT NEW.location OR OLD.channel IS NOT NEW.channel
  OR OLD.locale IS NOT NEW.locale OR OLD.device IS NOT NEW.device
BEGIN
    INSERT INTO response_rollups (site, survey, width, bucket, dim, value, nps, n)
    SELECT OLD.site, OLD.survey, g.w, OLD.created_at - OLD.created_at % g.w, d.dim, d.value, COALESCE(OLD.nps, -1), -1
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g,
         (SELECT '' AS dim, '' AS value
          UNION ALL SELECT 'page', OLD.page_path
          UNION ALL SELECT 'location', COALESCE(OLD.location, '')
          UNION ALL SELECT 'channel', COALESCE(OLD.channel, '')
          UNION ALL SELECT 'locale', COALESCE(OLD.locale, '')
          UNION ALL SELECT 'device', COALESCE(OLD.device, '')) AS d
    WHERE d.dim = '' OR OLD.nps IS NOT NULL
    ON CONFLICT (site, survey, dim, width, bucket, value, nps) DO UPDATE SET n = n + excluded.n;
    INSERT INTO response_rollups (site, survey, width, bucket, dim, value, nps, n)
    SELECT NEW.site, NEW.survey, g.w, NEW.created_at - NEW.created_at % g.w, d.dim, d.value, COALESCE(NEW.nps, -1), 1
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g,
         (SELECT '' AS dim, '' AS value
          UNION ALL SELECT 'page', NEW.page_path
          UNION ALL SELECT 'location', COALESCE(NEW.location, '')
          UNION ALL SELECT 'channel', COALESCE(NEW.channel, '')
          UNION ALL SELECT 'locale', COALESCE(NEW.locale, '')
          UNION ALL SELECT 'device', COALESCE(NEW.device, '')) AS d
    WHERE d.dim = '' OR NEW.nps IS NOT NULL
    ON CONFLICT (site, survey, dim, width, bucket, value, nps) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER score_rollups_insert AFTER INSERT ON scores BEGIN
    INSERT INTO score_rollups (site, survey, width, bucket, question, kind, score, n)
    SELECT NEW.site, NEW.survey, g.w, NEW.created_at - NEW.created_at % g.w, NEW.question, NEW.kind, NEW.score, 1
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE NEW.kind IN ('csat', 'ces') AND NEW.score IS NOT NULL
    ON CONFLICT (site, survey, width, bucket, question, kind, score) DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_rollups (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT NEW.site, NEW.survey, g.w, NEW.created_at - NEW.created_at % g.w, NEW.question, NEW.aspect, 1,
        1 * NEW.expectation, 1 * NEW.expectation * NEW.expectation,
        1 * NEW.experience, 1 * NEW.experience * NEW.experience,
        1 * (NEW.experience - NEW.expectation), 1 * (NEW.experience - NEW.expectation) * (NEW.experience - NEW.expectation)
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE NEW.kind = 'gap' AND NEW.expectation IS NOT NULL AND NEW.experience IS NOT NULL
    ON CONFLICT (site, survey, width, bucket, question, aspect) DO UPDATE SET
        n = n + excluded.n, s_exp = s_exp + excluded.s_exp, ss_exp = ss_exp + excluded.ss_exp,
        s_ex = s_ex + excluded.s_ex, ss_ex = ss_ex + excluded.ss_ex,
        s_d = s_d + excluded.s_d, ss_d = ss_d + excluded.ss_d;
END;

CREATE TRIGGER score_rollups_delete AFTER DELETE ON scores BEGIN
    INSERT INTO score_rollups (site, survey, width, bucket, question, kind, score, n)
    SELECT OLD.site, OLD.survey, g.w, OLD.created_at - OLD.created_at % g.w, OLD.question, OLD.kind, OLD.score, -1
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE OLD.kind IN ('csat', 'ces') AND OLD.score IS NOT NULL
    ON CONFLICT (site, survey, width, bucket, question, kind, score) DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_rollups (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT OLD.site, OLD.survey, g.w, OLD.created_at - OLD.created_at % g.w, OLD.question, OLD.aspect, -1,
        -1 * OLD.expectation, -1 * OLD.expectation * OLD.expectation,
        -1 * OLD.experience, -1 * OLD.experience * OLD.experience,
        -1 * (OLD.experience - OLD.expectation), -1 * (OLD.experience - OLD.expectation) * (OLD.experience - OLD.expectation)
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE OLD.kind = 'gap' AND OLD.expectation IS NOT NULL AND OLD.experience IS NOT NULL
    ON CONFLICT (site, survey, width, bucket, question, aspect) DO UPDATE SET
        n = n + excluded.n, s_exp = s_exp + excluded.s_exp, ss_exp = ss_exp + excluded.ss_exp,
        s_ex = s_ex + excluded.s_ex, ss_ex = ss_ex + excluded.ss_ex,
        s_d = s_d + excluded.s_d, ss_d = ss_d + excluded.ss_d;
END;

CREATE TRIGGER score_rollups_update AFTER UPDATE ON scores
WHEN OLD.score IS NOT NEW.score OR OLD.expectation IS NOT NEW.expectation
  OR OLD.experience IS NOT NEW.experience OR OLD.kind IS NOT NEW.kind
  OR OLD.created_at IS NOT NEW.created_at OR OLD.survey IS NOT NEW.survey
  OR OLD.site IS NOT NEW.site OR OLD.question IS NOT NEW.question OR OLD.aspect IS NOT NEW.aspect
BEGIN
    INSERT INTO score_rollups (site, survey, width, bucket, question, kind, score, n)
    SELECT OLD.site, OLD.survey, g.w, OLD.created_at - OLD.created_at % g.w, OLD.question, OLD.kind, OLD.score, -1
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE OLD.kind IN ('csat', 'ces') AND OLD.score IS NOT NULL
    ON CONFLICT (site, survey, width, bucket, question, kind, score) DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_rollups (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT OLD.site, OLD.survey, g.w, OLD.created_at - OLD.created_at % g.w, OLD.question, OLD.aspect, -1,
        -1 * OLD.expectation, -1 * OLD.expectation * OLD.expectation,
        -1 * OLD.experience, -1 * OLD.experience * OLD.experience,
        -1 * (OLD.experience - OLD.expectation), -1 * (OLD.experience - OLD.expectation) * (OLD.experience - OLD.expectation)
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE OLD.kind = 'gap' AND OLD.expectation IS NOT NULL AND OLD.experience IS NOT NULL
    ON CONFLICT (site, survey, width, bucket, question, aspect) DO UPDATE SET
        n = n + excluded.n, s_exp = s_exp + excluded.s_exp, ss_exp = ss_exp + excluded.ss_exp,
        s_ex = s_ex + excluded.s_ex, ss_ex = ss_ex + excluded.ss_ex,
        s_d = s_d + excluded.s_d, ss_d = ss_d + excluded.ss_d;
    INSERT INTO score_rollups (site, survey, width, bucket, question, kind, score, n)
    SELECT NEW.site, NEW.survey, g.w, NEW.created_at - NEW.created_at % g.w, NEW.question, NEW.kind, NEW.score, 1
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE NEW.kind IN ('csat', 'ces') AND NEW.score IS NOT NULL
    ON CONFLICT (site, survey, width, bucket, question, kind, score) DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_rollups (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
    SELECT NEW.site, NEW.survey, g.w, NEW.created_at - NEW.created_at % g.w, NEW.question, NEW.aspect, 1,
        1 * NEW.expectation, 1 * NEW.expectation * NEW.expectation,
        1 * NEW.experience, 1 * NEW.experience * NEW.experience,
        1 * (NEW.experience - NEW.expectation), 1 * (NEW.experience - NEW.expectation) * (NEW.experience - NEW.expectation)
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE NEW.kind = 'gap' AND NEW.expectation IS NOT NULL AND NEW.experience IS NOT NULL
    ON CONFLICT (site, survey, width, bucket, question, aspect) DO UPDATE SET
        n = n + excluded.n, s_exp = s_exp + excluded.s_exp, ss_exp = ss_exp + excluded.ss_exp,
        s_ex = s_ex + excluded.s_ex, ss_ex = ss_ex + excluded.ss_ex,
        s_d = s_d + excluded.s_d, ss_d = ss_d + excluded.ss_d;
END;

CREATE TRIGGER display_rollups_insert AFTER INSERT ON displays BEGIN
    INSERT INTO display_rollups (site, survey, width, bucket, shown, dismissed)
    SELECT NEW.site, NEW.survey, g.w, NEW.created_at - NEW.created_at % g.w, 1, 1 * (NEW.dismissed_at IS NOT NULL)
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE true
    ON CONFLICT (site, survey, width, bucket) DO UPDATE SET
        shown = shown + excluded.shown, dismissed = dismissed + excluded.dismissed;
END;

CREATE TRIGGER display_rollups_delete AFTER DELETE ON displays BEGIN
    INSERT INTO display_rollups (site, survey, width, bucket, shown, dismissed)
    SELECT OLD.site, OLD.survey, g.w, OLD.created_at - OLD.created_at % g.w, -1, -1 * (OLD.dismissed_at IS NOT NULL)
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE true
    ON CONFLICT (site, survey, width, bucket) DO UPDATE SET
        shown = shown + excluded.shown, dismissed = dismissed + excluded.dismissed;
END;

CREATE TRIGGER display_rollups_update AFTER UPDATE ON displays
WHEN (OLD.dismissed_at IS NULL) IS NOT (NEW.dismissed_at IS NULL) OR OLD.site IS NOT NEW.site
  OR OLD.survey IS NOT NEW.survey OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO display_rollups (site, survey, width, bucket, shown, dismissed)
    SELECT OLD.site, OLD.survey, g.w, OLD.created_at - OLD.created_at % g.w, -1, -1 * (OLD.dismissed_at IS NOT NULL)
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE true
    ON CONFLICT (site, survey, width, bucket) DO UPDATE SET
        shown = shown + excluded.shown, dismissed = dismissed + excluded.dismissed;
    INSERT INTO display_rollups (site, survey, width, bucket, shown, dismissed)
    SELECT NEW.site, NEW.survey, g.w, NEW.created_at - NEW.created_at % g.w, 1, 1 * (NEW.dismissed_at IS NOT NULL)
    FROM (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
    WHERE true
    ON CONFLICT (site, survey, width, bucket) DO UPDATE SET
        shown = shown + excluded.shown, dismissed = dismissed + excluded.dismissed;
END;

-- What was stored before this migration.
INSERT INTO response_rollups (site, survey, width, bucket, dim, value, nps, n)
SELECT r.site, r.survey, g.w, r.created_at - r.created_at % g.w, r.dim, r.value, r.nps, COUNT(*)
FROM (SELECT site, survey, created_at, '' AS dim, '' AS value, COALESCE(nps, -1) AS nps FROM responses
      UNION ALL SELECT site, survey, created_at, 'page', page_path, nps FROM responses WHERE nps IS NOT NULL
      UNION ALL SELECT site, survey, created_at, 'location', COALESCE(location, ''), nps FROM responses WHERE nps IS NOT NULL
      UNION ALL SELECT site, survey, created_at, 'channel', COALESCE(channel, ''), nps FROM responses WHERE nps IS NOT NULL
      UNION ALL SELECT site, survey, created_at, 'locale', COALESCE(locale, ''), nps FROM responses WHERE nps IS NOT NULL
      UNION ALL SELECT site, survey, created_at, 'device', COALESCE(device, ''), nps FROM responses WHERE nps IS NOT NULL) AS r,
     (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO score_rollups (site, survey, width, bucket, question, kind, score, n)
SELECT s.site, s.survey, g.w, s.created_at - s.created_at % g.w, s.question, s.kind, s.score, COUNT(*)
FROM scores AS s, (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
WHERE s.kind IN ('csat', 'ces') AND s.score IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO gap_rollups (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
SELECT s.site, s.survey, g.w, s.created_at - s.created_at % g.w, s.question, s.aspect, COUNT(*),
    SUM(s.expectation), SUM(s.expectation * s.expectation), SUM(s.experience), SUM(s.experience * s.experience),
    SUM(s.experience - s.expectation), SUM((s.experience - s.expectation) * (s.experience - s.expectation))
FROM scores AS s, (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
WHERE s.kind = 'gap' AND s.expectation IS NOT NULL AND s.experience IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO display_rollups (site, survey, width, bucket, shown, dismissed)
SELECT x.site, x.survey, g.w, x.created_at - x.created_at % g.w, COUNT(*), COUNT(x.dismissed_at)
FROM displays AS x, (SELECT 86400000 AS w UNION ALL SELECT 3600000) AS g
GROUP BY 1, 2, 3, 4;
