-- A response is accepted only for a display the collector recorded, and a display takes one
-- response: when a response is created, the store looks up the responses that already
-- answer its display (collector/src/storage/mod.rs, `DISPLAY_CHECK`).
CREATE INDEX responses_display ON responses (site, display_id);
