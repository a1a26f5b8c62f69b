-- survey (issue 6): the satisfaction loop. A survey per (ticket, round): round 1 after the
-- first resolution, round 2 the follow-up after a second handling (a dissatisfied round 1
-- reopened the ticket). Each survey is scheduled (due_at = resolution + SB_SURVEY_DELAY_MS),
-- sent once (its signed link expires at expires_at), then answered once or expired once.
-- The link's token is survey id + expiry + HMAC (services/survey/token.c): nothing secret is
-- stored, so the old random token column goes.

ALTER TABLE surveys
    ADD COLUMN id                uuid,
    ADD COLUMN round             smallint NOT NULL DEFAULT 1 CHECK (round IN (1, 2)),
    ADD COLUMN state             text NOT NULL DEFAULT 'scheduled'
        CHECK (state IN ('scheduled', 'sent', 'answered', 'expired', 'cancelled')),
    ADD COLUMN due_at            timestamptz,
    ADD COLUMN expires_at        timestamptz,
    ADD COLUMN expired_at        timestamptz,
    ADD COLUMN channel           text NOT NULL DEFAULT '',
    ADD COLUMN resolved_event_id uuid,
    ADD COLUMN resolved_by       text NOT NULL DEFAULT '';   -- the agent who resolved it

-- Rows from before this migration: the old service never sent a link, and their random
-- tokens are not signed links. Answered ones stay answered; the others are cancelled.
UPDATE surveys SET id = gen_random_uuid(), due_at = created_at,
                   state = CASE WHEN answered_at IS NOT NULL THEN 'answered' ELSE 'cancelled' END;

ALTER TABLE surveys
    ALTER COLUMN id SET NOT NULL,
    ALTER COLUMN due_at SET NOT NULL,
    DROP CONSTRAINT surveys_pkey,
    DROP COLUMN token,
    ADD PRIMARY KEY (id),
    ADD CONSTRAINT surveys_ticket_round_key UNIQUE (ticket_id, round),
    -- One answer per survey, enforced here: an answer exists exactly when the state says so,
    -- and a sent link has its expiry. The answer itself is a conditional UPDATE on state.
    ADD CONSTRAINT surveys_answer_state CHECK ((state = 'answered') = (answered_at IS NOT NULL)
                                               AND (answered_at IS NULL) = (rating IS NULL)),
    ADD CONSTRAINT surveys_sent_state CHECK (state IN ('scheduled', 'cancelled')
                                             OR (sent_at IS NOT NULL AND expires_at IS NOT NULL));

-- The due-survey loop's two scans: what is due to be sent, and which sent links have expired.
CREATE INDEX surveys_due_idx ON surveys (due_at) WHERE state = 'scheduled';
CREATE INDEX surveys_expiry_idx ON surveys (expires_at) WHERE state = 'sent';

-- An answer can never be changed or taken back once recorded.
CREATE FUNCTION surveys_answer_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'answered' AND (NEW.state IS DISTINCT FROM OLD.state
        OR NEW.rating IS DISTINCT FROM OLD.rating OR NEW.comment IS DISTINCT FROM OLD.comment
        OR NEW.answered_at IS DISTINCT FROM OLD.answered_at) THEN
        RAISE EXCEPTION 'survey % was already answered', OLD.id USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER surveys_answer_once BEFORE UPDATE ON surveys
    FOR EACH ROW EXECUTE FUNCTION surveys_answer_final();
