-- dispatch's fencing and its first decision time (issue 5).
-- Each partition of sb.dispatch.v1 (departments hash onto them) has one owning replica at a
-- time. A replica that is assigned a partition bumps its epoch; every batch checks, inside its
-- transaction, that the epochs it holds are still current (FOR SHARE), so a replica that lost
-- a partition cannot commit decisions on stale queues or loads (services/dispatch/README.md).
CREATE TABLE dispatch_owners (
    partition int PRIMARY KEY,
    epoch     bigint NOT NULL,
    owner     text NOT NULL,
    since     timestamptz NOT NULL DEFAULT now()
);

-- When dispatch first decided about the ticket: assigned it, or queued it for lack of a free
-- agent. The peak benchmark measures accepted -> dispatched with it.
ALTER TABLE tickets ADD COLUMN dispatched_at timestamptz;
