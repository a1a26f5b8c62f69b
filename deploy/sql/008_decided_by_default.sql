-- A ticket no rule, hint or model decided takes the defaults (other/general): say so.
ALTER TABLE tickets DROP CONSTRAINT tickets_decided_by_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_decided_by_check
    CHECK (decided_by IN ('rules', 'hint', 'classifier', 'triage', 'person', 'default'));
