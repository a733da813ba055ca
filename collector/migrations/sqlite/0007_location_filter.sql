-- A report filtered by location (the dashboard's "this shop only") reads the period's rows
-- rather than the rollups, which count one dimension at a time: this index keeps that read
-- to the shop's own answers, and holds what its NPS histograms need (survey, score), so
-- those are read from the index alone.
CREATE INDEX responses_location ON responses (site, location, created_at, survey, nps);
