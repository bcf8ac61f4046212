-- OAuth 2.0 for third-party apps (docs/oauth.md). An app belongs to the
-- user who registered it; its id is its client_id. Only a confidential
-- app has a secret, kept as its SHA-256.
CREATE TABLE oauth_applications (
	id            TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	client_type   TEXT NOT NULL CHECK (client_type IN ('confidential', 'public')),
	secret_hash   TEXT CHECK (secret_hash IS NULL OR length(secret_hash) = 64),
	-- Newline-separated; each compared exactly at authorization.
	redirect_uris TEXT NOT NULL,
	-- Space-separated, as on the wire.
	scopes        TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL,
	CHECK ((client_type = 'confidential') = (secret_hash IS NOT NULL))
);
CREATE INDEX oauth_applications_user_idx ON oauth_applications (user_id, id);

-- A user's consent to an app: one row per (user, app), its scopes the
-- union of what the user allowed. Deleting it ends every code and token
-- it issued.
CREATE TABLE oauth_authorizations (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	app_id     TEXT NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
	scopes     TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	UNIQUE (user_id, app_id)
);
CREATE INDEX oauth_authorizations_app_idx ON oauth_authorizations (app_id);

-- Authorization codes by their SHA-256. used_at is set by a
-- compare-and-set when the code is exchanged, so a code is redeemed once
-- however many requests race; a second use revokes the tokens of its
-- family (family_id is the code's own id).
CREATE TABLE oauth_codes (
	code_hash        TEXT PRIMARY KEY CHECK (length(code_hash) = 64),
	id               TEXT NOT NULL UNIQUE,
	authorization_id TEXT NOT NULL REFERENCES oauth_authorizations (id) ON DELETE CASCADE,
	redirect_uri     TEXT NOT NULL,
	scopes           TEXT NOT NULL,
	code_challenge   TEXT NOT NULL CHECK (length(code_challenge) = 43),
	created_at       TIMESTAMPTZ NOT NULL,
	expires_at       TIMESTAMPTZ NOT NULL,
	used_at          TIMESTAMPTZ
);
CREATE INDEX oauth_codes_authorization_idx ON oauth_codes (authorization_id);

-- Access and refresh tokens by their SHA-256. A family is every token
-- descended from one code: a reused code or refresh token revokes it.
-- Refresh tokens rotate by a compare-and-set on used_at, as sessions' do.
CREATE TABLE oauth_tokens (
	token_hash       TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
	kind             TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
	family_id        TEXT NOT NULL,
	authorization_id TEXT NOT NULL REFERENCES oauth_authorizations (id) ON DELETE CASCADE,
	scopes           TEXT NOT NULL,
	created_at       TIMESTAMPTZ NOT NULL,
	expires_at       TIMESTAMPTZ NOT NULL,
	used_at          TIMESTAMPTZ,
	revoked_at       TIMESTAMPTZ
);
CREATE INDEX oauth_tokens_family_idx ON oauth_tokens (family_id);
CREATE INDEX oauth_tokens_authorization_idx ON oauth_tokens (authorization_id);
