-- sla (issue 6): editable SLA policies per clock kind, business-hours calendars with holidays per
-- department, and the timer columns that warnings, pausing and urge reminders need.

-- Business hours: one row per calendar; hours per weekday as "HH:MM-HH:MM" (absent = closed),
-- in the calendar's fixed UTC offset. Holidays are local dates on which it is closed all day.
CREATE TABLE sla_calendars (
    id                text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    name              text NOT NULL,
    tz_offset_minutes int  NOT NULL DEFAULT 480 CHECK (tz_offset_minutes BETWEEN -840 AND 840),
    hours             jsonb NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sla_holidays (
    calendar_id text NOT NULL REFERENCES sla_calendars(id) ON DELETE CASCADE,
    day         date NOT NULL,
    name        text NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, day)
);

INSERT INTO sla_calendars (id, name, tz_offset_minutes, hours) VALUES
    ('standard', 'Mon-Fri 09:00-18:00 (UTC+8)', 480,
     '{"mon":"09:00-18:00","tue":"09:00-18:00","wed":"09:00-18:00","thu":"09:00-18:00","fri":"09:00-18:00"}');

-- A department's business hours (a policy with business_hours = true counts only those).
ALTER TABLE departments
    ADD COLUMN calendar_id text NOT NULL DEFAULT 'standard' REFERENCES sla_calendars(id);

-- One policy = one clock's target for the tickets it matches. A NULL criterion matches any
-- value; of the enabled policies of a kind that match a ticket, the one with the most criteria
-- set wins, ties broken by priority > urgency > category > channel > tier, then by id
-- (services/sla/README.md, common/sla_policy.h).
CREATE TABLE sla_policies (
    id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    kind           text NOT NULL CHECK (kind IN ('acknowledgement', 'first_response', 'next_response',
                                                 'resolution', 'follow_up', 'second_handling')),
    priority       text CHECK (priority IN ('P1', 'P2', 'P3')),
    urgency        text CHECK (urgency IN ('high', 'medium', 'low')),
    category       text REFERENCES categories(id),
    channel        text,
    tier           text CHECK (tier IN ('vip', 'regular', 'new')),
    target_seconds int  NOT NULL CHECK (target_seconds > 0 AND target_seconds <= 31536000),
    business_hours boolean NOT NULL DEFAULT false,
    warn_share     double precision NOT NULL DEFAULT 0.75 CHECK (warn_share > 0 AND warn_share < 1),
    enabled        boolean NOT NULL DEFAULT true,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The centre's practice (DESIGN.md): every default runs 24/7; admins switch rows to business
-- hours. A ticket not classified yet gets the kind's catch-all row (medium for first response).
INSERT INTO sla_policies (id, kind, urgency, category, target_seconds) VALUES
    ('acknowledgement',         'acknowledgement', NULL,     NULL,        3600),
    ('first-response',          'first_response',  NULL,     NULL,        86400),
    ('first-response-high',     'first_response',  'high',   NULL,        7200),
    ('first-response-medium',   'first_response',  'medium', NULL,        86400),
    ('first-response-low',      'first_response',  'low',    NULL,        259200),
    ('next-response',           'next_response',   NULL,     NULL,        86400),
    ('resolution',              'resolution',      NULL,     NULL,        259200),
    ('resolution-urgent-complaint', 'resolution',  'high',   'complaint', 14400),
    ('follow-up',               'follow_up',       NULL,     NULL,        86400),
    ('second-handling',         'second_handling', NULL,     NULL,        86400);

-- Timer state for issue 6. next_at is when the watch must next look at the row (the warning,
-- the deadline, or the next urge reminder; NULL: nothing more to do) — the heap holds it.
ALTER TABLE sla_timers DROP CONSTRAINT sla_timers_state_check;
ALTER TABLE sla_timers
    ADD CONSTRAINT sla_timers_state_check
        CHECK (state IN ('armed', 'paused', 'met', 'breached', 'cancelled')),
    ADD COLUMN policy_id         text,
    ADD COLUMN started_at        timestamptz,
    ADD COLUMN warn_at           timestamptz,
    ADD COLUMN warn_share        double precision,
    ADD COLUMN warned_at         timestamptz,
    ADD COLUMN business_hours    boolean NOT NULL DEFAULT false,
    ADD COLUMN calendar_id       text,
    ADD COLUMN paused_at         timestamptz,
    ADD COLUMN remaining_ms      bigint,
    ADD COLUMN warn_remaining_ms bigint,
    ADD COLUMN reminders         int NOT NULL DEFAULT 0,
    ADD COLUMN settled_at        timestamptz,
    ADD COLUMN at_risk_at        timestamptz,
    ADD COLUMN next_at           timestamptz;
-- Timers armed before this migration: the deadline is what the watch waits for.
UPDATE sla_timers SET next_at = due_at WHERE state = 'armed';
CREATE INDEX sla_timers_next_idx ON sla_timers (next_at) WHERE next_at IS NOT NULL;
