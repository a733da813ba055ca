-- Tokens the owner gives a team (`tenpoint token add`): each opens one site's reports and
-- exports (viewer) or also its erasures (admin). Only a token's SHA-256 is stored; `id` is a
-- short public handle for `token list` and `token revoke`. A revoked token stays listed.
CREATE TABLE access_tokens (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
