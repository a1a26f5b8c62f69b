-- Core schema: customers, tickets, messages, events, organisation, assignments, outbox, idempotency.

CREATE TABLE customers (
    id           bigserial PRIMARY KEY,
    customer_key text NOT NULL UNIQUE,          -- keyed hash of the identity: stable, not reversible
    display_name text NOT NULL DEFAULT '',      -- masked name
    phone_masked text NOT NULL DEFAULT '',
    email_masked text NOT NULL DEFAULT '',
    tier         text NOT NULL DEFAULT 'new' CHECK (tier IN ('vip', 'regular', 'new')),
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now()
);

-- Raw contact details: readable only by roles that may, every read audited (desk).
CREATE TABLE customer_contacts (
    customer_id bigint PRIMARY KEY REFERENCES customers(id),
    name        text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    external_id text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contact_reads (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers(id),
    reader      text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    read_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE departments (
    id   text PRIMARY KEY,               -- e.g. 'after-sales'
    name text NOT NULL
);

CREATE TABLE agents (
    id            text PRIMARY KEY,      -- e.g. 'agent-001'
    name          text NOT NULL,
    department_id text NOT NULL REFERENCES departments(id),
    role          text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin')),
    max_open      int  NOT NULL DEFAULT 50 CHECK (max_open > 0),
    on_duty       boolean NOT NULL DEFAULT true
);

-- Category -> lead department (issue 5 adds co-operating departments and an editable table).
CREATE TABLE categories (
    id            text PRIMARY KEY,      -- consultation, complaint, suggestion, after-sales, other
    name          text NOT NULL,
    department_id text NOT NULL REFERENCES departments(id)
);

-- Keyword rules, evaluated in order; the first match decides category/sub-topic/urgency.
CREATE TABLE classify_rules (
    id        serial PRIMARY KEY,
    position  int  NOT NULL,
    name      text NOT NULL,
    keywords  text[] NOT NULL,           -- any of them, case-insensitive substring
    category  text NOT NULL REFERENCES categories(id),
    subtopic  text NOT NULL,
    urgency   text NOT NULL CHECK (urgency IN ('high', 'medium', 'low')),
    enabled   boolean NOT NULL DEFAULT true
);

-- Ticket serial per channel and day: numbers like WX-20261122-000123.
CREATE TABLE ticket_serials (
    channel_code text NOT NULL,
    day          date NOT NULL,
    last_serial  bigint NOT NULL,
    PRIMARY KEY (channel_code, day)
);

CREATE TABLE tickets (
    id            uuid PRIMARY KEY,
    number        text NOT NULL UNIQUE,
    channel       text NOT NULL,
    customer_id   bigint NOT NULL REFERENCES customers(id),
    status        text NOT NULL DEFAULT 'new',
    category      text,
    subtopic      text,
    urgency       text,
    priority      text CHECK (priority IN ('P1', 'P2', 'P3')),
    department_id text REFERENCES departments(id),
    assignee      text REFERENCES agents(id),
    subject       text NOT NULL DEFAULT '',
    explanation   jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);
-- Status, assignee and updated_at change through a ticket's life and are deliberately not
-- indexed: with room left in each page (fillfactor) those updates are HOT and rewrite no index
-- entries. Lists filter them while walking the created/department indexes.
CREATE INDEX tickets_customer_idx ON tickets (customer_id, created_at DESC);
CREATE INDEX tickets_created_idx ON tickets (created_at DESC, id DESC);
CREATE INDEX tickets_department_idx ON tickets (department_id, created_at DESC, id DESC);

CREATE TABLE messages (
    message_id  uuid PRIMARY KEY,        -- derived from (channel, external_id) by ingest
    ticket_id   uuid NOT NULL REFERENCES tickets(id),
    channel     text NOT NULL,
    external_id text NOT NULL,
    body        text NOT NULL,
    received_at timestamptz NOT NULL,    -- when ingest accepted it
    stored_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, external_id)
);
CREATE INDEX messages_ticket_idx ON messages (ticket_id);

-- The ticket event log as stored: every event published on sb.tickets.v1, by its id.
CREATE TABLE ticket_events (
    event_id    uuid PRIMARY KEY,
    seq         bigserial NOT NULL,          -- insertion order: events of one millisecond stay in order
    ticket_id   uuid NOT NULL REFERENCES tickets(id),
    type        text NOT NULL,
    occurred_at timestamptz NOT NULL,
    payload     jsonb NOT NULL
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, occurred_at, seq);

CREATE TABLE assignments (
    ticket_id     uuid PRIMARY KEY REFERENCES tickets(id),
    agent_id      text NOT NULL REFERENCES agents(id),
    department_id text NOT NULL REFERENCES departments(id),
    event_id      uuid NOT NULL UNIQUE,
    reason        text NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignments_agent_idx ON assignments (agent_id);

CREATE TABLE sla_timers (
    ticket_id  uuid NOT NULL REFERENCES tickets(id),
    kind       text NOT NULL,            -- acknowledgement, first_response, ...
    due_at     timestamptz NOT NULL,
    state      text NOT NULL DEFAULT 'armed' CHECK (state IN ('armed', 'met', 'breached', 'cancelled')),
    armed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, kind)
);
CREATE INDEX sla_timers_due_idx ON sla_timers (due_at) WHERE state = 'armed';

CREATE TABLE surveys (
    ticket_id   uuid PRIMARY KEY REFERENCES tickets(id),
    token       text NOT NULL UNIQUE,
    resolution  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    rating      text CHECK (rating IN ('very_satisfied', 'satisfied', 'neutral', 'dissatisfied')),
    comment     text,
    answered_at timestamptz
);

-- Per day, channel and category: tickets opened; per day and channel: inbound messages.
CREATE TABLE rollup_daily (
    day      date NOT NULL,
    channel  text NOT NULL,
    category text NOT NULL,              -- '' for inbound messages not yet classified
    metric   text NOT NULL,              -- inbound, opened, classified, assigned, resolved
    value    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel, category, metric)
);

-- Bearer tokens, stored as SHA-256 hex, never in clear.
CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY,
    subject    text NOT NULL,            -- agent id or a service name
    role       text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- Events a service must announce after a PostgreSQL change, published by the outbox relay.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    topic      text NOT NULL,
    msg_key    text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;

-- Every event a consumer has applied: a replay hits the key and changes nothing.
CREATE TABLE processed_events (
    consumer   text NOT NULL,
    event_id   uuid NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
