-- A response is accepted only for a display the collector recorded, and a display takes one
-- response: when a response is created, the store looks for a response that already answers
-- its display (collector/src/storage/mod.rs, `DISPLAY_CHECK`). Partial: rows without a
-- display (from before the rule, or bulk loads) would otherwise make the planner's statistics
-- call the index useless and choose a scan of the site's responses.
CREATE INDEX responses_display ON responses (site, display_id) WHERE display_id IS NOT NULL;
