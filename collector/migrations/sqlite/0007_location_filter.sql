-- A report filtered by location (the dashboard's "this shop only") reads the period's rows
-- rather than the rollups, which count one dimension at a time: this index keeps that read
-- to the shop's own answers.
CREATE INDEX responses_location ON responses (site, location, created_at);
