-- sla (issue 5): which event armed a timer, and for the acknowledgement clock the agent who
-- must acknowledge. The escalated event's id is derived from source_event_id, so a firing that
-- is retried or repeated by another replica yields the same id; agent_id lets the firing check
-- the ticket is still with that agent (a later re-offer not yet seen by sla must not escalate).
ALTER TABLE sla_timers
    ADD COLUMN source_event_id uuid,
    ADD COLUMN agent_id        text;
