-- Channel credentials: what lets a channel post to ingest, each with its own rate limit.
-- API keys are kept as SHA-256 only; webhook secrets and WeChat tokens must be kept as they are,
-- since verifying a signature needs the secret itself.

CREATE TABLE channel_credentials (
    id         bigserial PRIMARY KEY,
    channel    text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('api_key', 'hmac_secret', 'wechat_token')),
    name       text NOT NULL DEFAULT '',   -- a marketplace's name; '*' = any name of the kind
    key_hash   text,                       -- api_key: hex SHA-256 of the key
    secret     text,                       -- hmac_secret, wechat_token
    rate_per_s double precision NOT NULL DEFAULT 1000 CHECK (rate_per_s > 0),
    burst      double precision NOT NULL DEFAULT 2000 CHECK (burst >= 1),
    source     text NOT NULL DEFAULT 'admin' CHECK (source IN ('admin', 'env')),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK ((kind = 'api_key') = (key_hash IS NOT NULL)),
    CHECK ((kind = 'api_key') = (secret IS NULL))
);
-- One live credential per key: a key must tell its channel.
CREATE UNIQUE INDEX channel_credentials_key_idx ON channel_credentials (key_hash)
    WHERE key_hash IS NOT NULL AND revoked_at IS NULL;
-- The deployment's environment provides one credential per (channel, kind, name); a changed
-- value replaces it.
CREATE UNIQUE INDEX channel_credentials_env_idx ON channel_credentials (channel, kind, name)
    WHERE source = 'env' AND revoked_at IS NULL;
