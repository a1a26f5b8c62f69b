-- 015_analytics.sql - analytics v2 (services/analytics/README.md, definitions version 2):
-- per-ticket facts, roll-ups per minute/hour/day x channel, category, department, agent with
-- fixed histogram buckets, agent-hours, editable KPI targets, detected anomalies.

-- What analytics knows of each ticket: the first time it reached each stage (epoch ms, NULL
-- until then), so a later event's duration can be computed, and the dimensions it stands in.
CREATE TABLE analytics_tickets (
    ticket_id          uuid PRIMARY KEY,
    channel            text NOT NULL DEFAULT '',
    customer           text NOT NULL DEFAULT '',   -- masked customer key (repeat contacts)
    category           text NOT NULL DEFAULT '',
    subtopic           text NOT NULL DEFAULT '',
    department         text NOT NULL DEFAULT '',
    agent              text NOT NULL DEFAULT '',   -- current assignee
    received_at        bigint,
    opened_at          bigint,
    classified_at      bigint,
    assigned_at        bigint,
    acknowledged_at    bigint,
    first_response_at  bigint,
    resolved_at        bigint,                     -- first resolution
    reopened_at        bigint,                     -- first reopening
    answered_at        bigint,                     -- first survey answer
    paused_since       bigint,                     -- awaiting the customer since
    paused_ms          bigint NOT NULL DEFAULT 0,  -- time spent awaiting the customer
    contacts           integer NOT NULL DEFAULT 0, -- customer messages joined before resolution
    sla_breached       integer NOT NULL DEFAULT 0, -- bit per clock kind
    sla_met            integer NOT NULL DEFAULT 0, -- bit per clock kind
    -- what an SLA policy is chosen by besides channel and category (a met clock's policy)
    priority           text NOT NULL DEFAULT '',
    urgency            text NOT NULL DEFAULT '',
    tier               text NOT NULL DEFAULT ''
);
CREATE INDEX analytics_tickets_repeat ON analytics_tickets (customer, category, subtopic, opened_at);

-- One row per grain x bucket x metric x dimensions: n samples, the sum of their durations, and
-- how many fell in each fixed duration bucket (h0 <= 250 ms, h1 <= 1 s, h2 <= 5 s, h3 <= 10 s,
-- h4 <= 30 s, h5 <= 1 min, h6 <= 5 min, h7 <= 15 min, h8 <= 1 h, h9 <= 4 h, h10 <= 24 h,
-- h11 <= 72 h, h12 longer).
-- Grains 'm' minute, 'h' hour, 'd' day (UTC) carry every dimension; 'M', 'H', 'D' are the same
-- summed over department and agent (both ''), a tenth of the rows: what a report without a
-- department or agent filter reads. '' = not known / not applicable.
CREATE TABLE analytics_rollup (
    grain      char(1) NOT NULL CHECK (grain IN ('m', 'h', 'd', 'M', 'H', 'D')),
    bucket     timestamptz NOT NULL,
    metric     text NOT NULL,
    channel    text NOT NULL,
    category   text NOT NULL,
    subtopic   text NOT NULL,
    department text NOT NULL,
    agent      text NOT NULL,
    n          bigint NOT NULL DEFAULT 0,
    sum_ms     bigint NOT NULL DEFAULT 0,
    h0 bigint NOT NULL DEFAULT 0, h1 bigint NOT NULL DEFAULT 0, h2 bigint NOT NULL DEFAULT 0,
    h3 bigint NOT NULL DEFAULT 0, h4 bigint NOT NULL DEFAULT 0, h5 bigint NOT NULL DEFAULT 0,
    h6 bigint NOT NULL DEFAULT 0, h7 bigint NOT NULL DEFAULT 0, h8 bigint NOT NULL DEFAULT 0,
    h9 bigint NOT NULL DEFAULT 0, h10 bigint NOT NULL DEFAULT 0, h11 bigint NOT NULL DEFAULT 0,
    h12 bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, bucket, metric, channel, category, subtopic, department, agent)
);
-- Reports filtered by agent or department.
CREATE INDEX analytics_rollup_agent ON analytics_rollup (grain, agent, bucket);
CREATE INDEX analytics_rollup_department ON analytics_rollup (grain, department, bucket);

-- The hours in which an agent did something on a ticket (agent-hours, the productivity divisor).
CREATE TABLE analytics_agent_hours (
    hour       timestamptz NOT NULL,
    department text NOT NULL,
    agent      text NOT NULL,
    PRIMARY KEY (hour, department, agent)
);

-- KPI targets, editable by admins (PUT /v1/targets).
CREATE TABLE analytics_targets (
    kpi        text PRIMARY KEY,
    op         text NOT NULL CHECK (op IN ('>=', '<=')),
    value      double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT 'default'
);
INSERT INTO analytics_targets (kpi, op, value) VALUES
    ('satisfaction_pct', '>=', 90), ('first_response_live_s', '<=', 30),
    ('resolution_pct', '>=', 95), ('repeat_contact_pct', '<=', 5),
    ('tickets_per_agent_hour', '>=', 10);

-- A slice whose volume or handle time jumped against its own previous 24 hours.
CREATE TABLE analytics_anomalies (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    hour          timestamptz NOT NULL,
    dimension     text NOT NULL,          -- category (category/subtopic), channel, department
    value         text NOT NULL,
    metric        text NOT NULL,          -- volume, handle_time
    current       double precision NOT NULL,
    baseline      double precision NOT NULL,
    ratio         double precision NOT NULL,
    samples       bigint NOT NULL,
    top_dimension text NOT NULL,
    top_value     text NOT NULL,
    top_share     double precision NOT NULL,
    message       text NOT NULL,
    detected_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (hour, dimension, value, metric)
);

-- The day counts of v1 become day roll-ups of v2 (same meaning for inbound and opened).
INSERT INTO analytics_rollup (grain, bucket, metric, channel, category, subtopic, department, agent, n)
SELECT g, day::timestamp AT TIME ZONE 'UTC', metric, channel, category, '', '', '', value
FROM rollup_daily CROSS JOIN (VALUES ('d'), ('D')) AS grains(g);
DROP TABLE rollup_daily;
