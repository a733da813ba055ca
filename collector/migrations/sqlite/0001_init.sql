-- Times are milliseconds since the Unix epoch (UTC), as in the PostgreSQL schema.

-- One row per response id; answers arrive in several requests and are merged into `answers`.
CREATE TABLE responses (
    site        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    survey      TEXT    NOT NULL,
    display_id  TEXT,
    visitor     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished    INTEGER NOT NULL DEFAULT 0,
    nps         INTEGER,
    category    TEXT,
    page        TEXT    NOT NULL,
    page_path   TEXT    NOT NULL,
    location    TEXT,
    channel     TEXT,
    locale      TEXT,
    device      TEXT,
    answers     TEXT    NOT NULL,
    attributes  TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (site, id)
) WITHOUT ROWID;

-- Covering index for the NPS report: a period's histogram is an index-only range scan.
CREATE INDEX responses_nps ON responses (site, survey, created_at, nps);
CREATE INDEX responses_site_time ON responses (site, created_at, nps);
CREATE INDEX responses_visitor ON responses (site, visitor);

-- CSAT and CES answers (aspect = '') and GAP answers (one row per aspect), for reports.
CREATE TABLE scores (
    site         TEXT    NOT NULL,
    response_id  TEXT    NOT NULL,
    question     TEXT    NOT NULL,
    aspect       TEXT    NOT NULL DEFAULT '',
    survey       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    score        INTEGER,
    expectation  INTEGER,
    experience   INTEGER,
    PRIMARY KEY (site, response_id, question, aspect)
) WITHOUT ROWID;

CREATE INDEX scores_report ON scores (site, survey, created_at);

CREATE TABLE displays (
    site          TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    survey        TEXT    NOT NULL,
    visitor       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    dismissed_at  INTEGER,
    page          TEXT    NOT NULL,
    page_path     TEXT    NOT NULL,
    location      TEXT,
    channel       TEXT,
    locale        TEXT,
    device        TEXT,
    PRIMARY KEY (site, id)
) WITHOUT ROWID;

CREATE INDEX displays_report ON displays (site, survey, created_at);
CREATE INDEX displays_visitor ON displays (site, visitor);

-- Server settings shared by every collector on this database (the admin token's hash).
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
