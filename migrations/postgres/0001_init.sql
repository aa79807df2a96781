-- Talk-track decisions, feedback and the sampled prediction log (PostgreSQL).
CREATE TABLE IF NOT EXISTS decisions (
    decision_id   TEXT PRIMARY KEY,
    at            TEXT NOT NULL,
    model_version TEXT NOT NULL,
    context       TEXT NOT NULL,
    payload       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id            BIGSERIAL PRIMARY KEY,
    decision_id   TEXT REFERENCES decisions (decision_id),
    at            TEXT NOT NULL,
    stage         TEXT NOT NULL,
    persona       TEXT,
    industry      TEXT,
    objection     TEXT,
    talk_track_id TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    replica       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS predictions (
    id            BIGSERIAL PRIMARY KEY,
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    model_version TEXT NOT NULL,
    entity_id     TEXT,
    probability   DOUBLE PRECISION NOT NULL,
    grade         TEXT NOT NULL,
    input         TEXT NOT NULL
);
