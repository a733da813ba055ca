-- The store counts the rollups itself now, in the answer's own transaction, by the rules of
-- collector/src/storage/rollup_delta.rs, on both backends (collector/src/storage/writes.rs).
-- The statement triggers of 0002 counted the same on PostgreSQL in a second definition and
-- cost most of its ingest throughput. The rollups they kept stay as they are, and correct.
DROP TRIGGER response_rollups_insert ON responses;
DROP TRIGGER response_rollups_update ON responses;
DROP TRIGGER response_rollups_delete ON responses;
DROP TRIGGER score_rollups_insert ON scores;
DROP TRIGGER score_rollups_update ON scores;
DROP TRIGGER score_rollups_delete ON scores;
DROP TRIGGER display_rollups_insert ON displays;
DROP TRIGGER display_rollups_update ON displays;
DROP TRIGGER display_rollups_delete ON displays;
DROP FUNCTION response_rollups_on_insert(), response_rollups_on_update(), response_rollups_on_delete(),
    score_rollups_on_insert(), score_rollups_on_update(), score_rollups_on_delete(),
    display_rollups_on_insert(), display_rollups_on_update(), display_rollups_on_delete();
DROP FUNCTION response_rollups_add(responses[], responses[]), score_rollups_add(scores[], scores[]),
    display_rollups_add(displays[], displays[]);
