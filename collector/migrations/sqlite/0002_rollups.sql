-- Rollups per UTC day and per hour (`width` 86400000 or 3600000 ms; `bucket` is the start of
-- the day or hour in ms), kept in the same transaction as the rows they count, so they are as
-- durable and as current as the rows. A report reads whole days from the day rows, whole hours
-- of the partial days at either end from the hour rows, and only the partial hours at either
-- end from the responses themselves: a busy day costs a report no more than a quiet one.
--
-- The store counts every change it writes and upserts the sums per batch just before it
-- commits (collector/src/storage/rollup_delta.rs): twelve upserts per answer in a trigger cost
-- more than half of the ingest throughput. It builds the rollups from the rows once, when it
-- first opens a database from before this migration. PostgreSQL keeps the same rollup tables
-- with statement-level triggers (its 0002 migration).

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
    PRIMARY KEY (site, dim, width, bucket, survey, value, nps)
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
    PRIMARY KEY (site, width, bucket, survey, question, kind, score)
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
    PRIMARY KEY (site, width, bucket, survey, question, aspect)
) WITHOUT ROWID;

-- Displays per bucket of showing, and how many of them were dismissed.
CREATE TABLE display_rollups (
    site       TEXT    NOT NULL,
    survey     TEXT    NOT NULL,
    width      INTEGER NOT NULL,
    bucket     INTEGER NOT NULL,
    shown      INTEGER NOT NULL,
    dismissed  INTEGER NOT NULL,
    PRIMARY KEY (site, width, bucket, survey)
) WITHOUT ROWID;
