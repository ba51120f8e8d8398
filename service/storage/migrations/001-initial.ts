// The initial schema. Values (flag values, trait values, multivariate option values) are jsonb so that
// strings, integers, floats, booleans and null keep their JSON type exactly.
export default /* sql */ `
CREATE TABLE projects (
  id                  serial PRIMARY KEY,
  name                text NOT NULL,
  hide_disabled_flags boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE environments (
  id                  serial PRIMARY KEY,
  project_id          integer NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name                text NOT NULL,
  client_key          text NOT NULL UNIQUE,
  allow_client_traits boolean NOT NULL DEFAULT true,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Server-side SDK keys ("ser.…"), stored as SHA-256 hashes; the key itself is shown once.
CREATE TABLE server_keys (
  id             serial PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  key_hash       text NOT NULL UNIQUE,
  key_prefix     text NOT NULL,
  name           text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE features (
  id              serial PRIMARY KEY,
  project_id      integer NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name            text NOT NULL,
  type            text NOT NULL DEFAULT 'STANDARD' CHECK (type IN ('STANDARD', 'MULTIVARIATE')),
  description     text,
  server_key_only boolean NOT NULL DEFAULT false,
  default_enabled boolean NOT NULL DEFAULT false,
  initial_value   jsonb NOT NULL DEFAULT 'null',
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, name)
);

CREATE TABLE multivariate_options (
  id                            serial PRIMARY KEY,
  feature_id                    integer NOT NULL REFERENCES features(id) ON DELETE CASCADE,
  value                         jsonb NOT NULL DEFAULT 'null',
  default_percentage_allocation double precision NOT NULL DEFAULT 0
    CHECK (default_percentage_allocation >= 0 AND default_percentage_allocation <= 100)
);

CREATE TABLE segments (
  id          serial PRIMARY KEY,
  project_id  integer NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name        text NOT NULL,
  description text,
  -- Nested rules (ALL/ANY/NONE with conditions), validated by the API schema before they land here.
  rules       jsonb NOT NULL DEFAULT '[]',
  -- The key percentage splits hash with: the id unless an imported document brought its own.
  hash_key    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, name)
);

CREATE TABLE identities (
  id             serial PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  identifier     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (environment_id, identifier)
);

CREATE TABLE traits (
  identity_id integer NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  key         text NOT NULL,
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (identity_id, key)
);

-- One row per feature per environment (the default), per segment override, per identity override.
CREATE TABLE feature_states (
  id             serial PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  feature_id     integer NOT NULL REFERENCES features(id) ON DELETE CASCADE,
  segment_id     integer REFERENCES segments(id) ON DELETE CASCADE,
  identity_id    integer REFERENCES identities(id) ON DELETE CASCADE,
  enabled        boolean NOT NULL DEFAULT false,
  value          jsonb NOT NULL DEFAULT 'null',
  priority       integer,
  -- The key multivariate hashing uses: the id unless an imported document brought its own.
  hash_key       text,
  uuid           text NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (segment_id IS NULL OR identity_id IS NULL)
);
CREATE UNIQUE INDEX feature_states_default ON feature_states (environment_id, feature_id)
  WHERE segment_id IS NULL AND identity_id IS NULL;
CREATE UNIQUE INDEX feature_states_segment ON feature_states (environment_id, feature_id, segment_id)
  WHERE segment_id IS NOT NULL;
CREATE UNIQUE INDEX feature_states_identity ON feature_states (environment_id, feature_id, identity_id)
  WHERE identity_id IS NOT NULL;

-- Per-feature-state multivariate allocations (Flagsmith's "multivariate feature state values").
CREATE TABLE multivariate_allocations (
  id                    serial PRIMARY KEY,
  feature_state_id      integer NOT NULL REFERENCES feature_states(id) ON DELETE CASCADE,
  option_id             integer NOT NULL REFERENCES multivariate_options(id) ON DELETE CASCADE,
  percentage_allocation double precision NOT NULL CHECK (percentage_allocation >= 0 AND percentage_allocation <= 100),
  uuid                  text NOT NULL,
  UNIQUE (feature_state_id, option_id)
);

-- Flag evaluation counts from SDK analytics, per hour.
CREATE TABLE flag_analytics (
  environment_id integer NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  feature_name   text NOT NULL,
  bucket         timestamptz NOT NULL,
  count          bigint NOT NULL,
  PRIMARY KEY (environment_id, feature_name, bucket)
);

CREATE TABLE admin_tokens (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id          serial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  action      text NOT NULL,
  entity_type text NOT NULL,
  entity_id   text,
  project_id  integer,
  environment_id integer,
  before      jsonb,
  after       jsonb
);
CREATE INDEX audit_log_environment ON audit_log (environment_id, id);
`;
