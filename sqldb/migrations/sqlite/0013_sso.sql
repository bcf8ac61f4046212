-- Partner single sign-on. sso_accounts links an account to the partner
-- (the token issuer) that created it: a partner signs in only the
-- accounts it made.
CREATE TABLE sso_accounts (
	user_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	issuer        TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 200),
	business_name TEXT NOT NULL DEFAULT '' CHECK (length(business_name) <= 200),
	created_at    TEXT NOT NULL
);

-- Every partner token used, by its SHA-256, until it expires: the primary
-- key makes a second use of a token fail in the database, however many
-- instances race to accept it. Rows past expires_at are swept by the next
-- use (a token past its expiry is refused before it gets here). Not
-- UNLOGGED: after a crash a token must stay spent.
CREATE TABLE sso_token_uses (
	token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
	issuer     TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX sso_token_uses_expires_idx ON sso_token_uses (expires_at);

-- A browser session (a refresh-token family) started by a partner's login
-- token, with where logging out sends the user back to.
CREATE TABLE sso_sessions (
	family_id           TEXT PRIMARY KEY,
	user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	logout_redirect_url TEXT NOT NULL CHECK (length(logout_redirect_url) BETWEEN 1 AND 2048),
	created_at          TEXT NOT NULL
);
CREATE INDEX sso_sessions_user_idx ON sso_sessions (user_id);
