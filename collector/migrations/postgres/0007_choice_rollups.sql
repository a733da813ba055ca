-- Choice answers per bucket, question, option and NPS score (-1: no NPS answer), for the
-- dashboard's reasons: the share of each option among detractors, passives and promoters.
-- `option_id` '' counts the responses that answered the question at all. Kept by the store
-- in the answers' own transactions like the other rollups (collector/src/storage/rollup_delta.rs);
-- the store fills it from the stored rows once, when it first opens a database from before
-- this migration (the `rollups` setting), together with the funnel's stage rows ('stage'
-- in response_rollups).
CREATE TABLE choice_rollups (
    site       TEXT      NOT NULL,
    survey     TEXT      NOT NULL,
    width      BIGINT    NOT NULL,
    bucket     BIGINT    NOT NULL,
    question   TEXT      NOT NULL,
    option_id  TEXT      NOT NULL,
    nps        SMALLINT  NOT NULL,
    n          BIGINT    NOT NULL,
    PRIMARY KEY (site, width, bucket, survey, question, option_id, nps)
);
