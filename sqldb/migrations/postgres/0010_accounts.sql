-- Personal access tokens: an integration acts as its owner with one. Only
-- the SHA-256 of the value is kept (the value has 256 random bits, so a
-- fast hash is enough); deleting the row revokes the token.
CREATE TABLE personal_access_tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ
);
CREATE INDEX personal_access_tokens_user_idx ON personal_access_tokens (user_id, id);

-- Organizations and their members. A user belongs to at most one
-- organization: user_id is unique among memberships, so two acceptances
-- racing for one user cannot both land.
CREATE TABLE organizations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE organization_memberships (
	id              TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX organization_memberships_user_key ON organization_memberships (user_id);
CREATE INDEX organization_memberships_org_idx ON organization_memberships (organization_id, id);

-- Invitations to join an organization, accepted through a link whose token
-- is kept only as its SHA-256. One pending invitation per email and
-- organization (an expired one is marked expired when the email is invited
-- again); owners are never invited.
CREATE TABLE organization_invitations (
	id              TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	email           TEXT NOT NULL,
	role            TEXT NOT NULL CHECK (role IN ('admin', 'member')),
	status          TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
	token_hash      TEXT NOT NULL UNIQUE,
	invited_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
	accepted_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	expires_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX organization_invitations_pending_key ON organization_invitations (organization_id, email)
	WHERE status = 'pending';
CREATE INDEX organization_invitations_org_idx ON organization_invitations (organization_id, id);
