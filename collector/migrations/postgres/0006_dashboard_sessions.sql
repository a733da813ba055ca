-- Dashboard sign-in sessions (tower-sessions records, JSON): kept in the database so that a
-- session works on every collector behind one load balancer and survives a restart, and a
-- sign-out deletes it everywhere. Expired rows are deleted when new sessions are made.
CREATE TABLE dashboard_sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
