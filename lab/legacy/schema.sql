-- Schema of the sample legacy PHP helpdesk (lab only).
--
-- It deliberately carries the quirks real legacy schemas have, because the
-- model tools and the retirement gate must cope with them:
--   * serial integer keys, and a varchar key (ticket_statuses.code);
--   * two foreign keys to the same table (tickets.reporter_id, tickets.assignee_id);
--   * a relation never declared as a constraint (comments.author_id -> users.id);
--   * a composite-key join table (ticket_tags) and a table with no key (audit_log);
--   * DEFAULT now() columns, a CHECK constraint (tickets.priority),
--     a partial unique index (users.email where is_active) and an
--     expression unique index (lower(users.username)).

CREATE TABLE users (
    id            serial PRIMARY KEY,
    username      varchar(64)  NOT NULL,
    email         varchar(255) NOT NULL,
    password_hash varchar(255) NOT NULL,
    full_name     varchar(128) NOT NULL DEFAULT '',
    is_admin      boolean      NOT NULL DEFAULT false,
    is_active     boolean      NOT NULL DEFAULT true,
    created_at    timestamptz  NOT NULL DEFAULT now(),
    last_login    timestamptz
);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_active_key ON users (email) WHERE is_active;

CREATE TABLE ticket_statuses (
    code       varchar(16) PRIMARY KEY,
    label      varchar(64) NOT NULL,
    is_closed  boolean     NOT NULL DEFAULT false,
    sort_order integer     NOT NULL DEFAULT 0
);

CREATE TABLE tickets (
    id          serial PRIMARY KEY,
    subject     varchar(200) NOT NULL,
    body        text         NOT NULL DEFAULT '',
    status      varchar(16)  NOT NULL DEFAULT 'open' REFERENCES ticket_statuses (code),
    priority    smallint     NOT NULL DEFAULT 3
                CONSTRAINT tickets_priority_check CHECK (priority BETWEEN 1 AND 5),
    reporter_id integer      NOT NULL REFERENCES users (id),
    assignee_id integer      REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX tickets_status_idx ON tickets (status);
CREATE INDEX tickets_reporter_idx ON tickets (reporter_id);
CREATE INDEX tickets_updated_idx ON tickets (updated_at DESC);

CREATE TABLE comments (
    id         serial PRIMARY KEY,
    ticket_id  integer     NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    -- Points at users.id, but the constraint was never declared.
    author_id  integer     NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_ticket_idx ON comments (ticket_id);

CREATE TABLE tags (
    id   serial PRIMARY KEY,
    name varchar(50) NOT NULL UNIQUE
);

CREATE TABLE ticket_tags (
    ticket_id integer NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    tag_id    integer NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, tag_id)
);

-- Written on every change by both apps; it never had a key.
CREATE TABLE audit_log (
    happened_at timestamptz NOT NULL DEFAULT now(),
    user_id     integer,
    action      varchar(32) NOT NULL,
    entity      varchar(32) NOT NULL,
    entity_id   integer,
    details     text
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);

INSERT INTO ticket_statuses (code, label, is_closed, sort_order) VALUES
    ('open', 'Open', false, 10),
    ('pending', 'Waiting for reply', false, 20),
    ('resolved', 'Resolved', true, 30),
    ('closed', 'Closed', true, 40);
