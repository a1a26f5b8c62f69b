-- What classification, threading and the desk's human actions need beyond the core schema:
-- the sub-topic taxonomy, the VIP list, what a ticket was decided from, order references,
-- e-mail thread ids, the triage desk and the append-only audit log.

-- Sub-topics per category, each with the urgency it has when nothing more specific decides.
CREATE TABLE subtopics (
    category        text NOT NULL REFERENCES categories(id),
    id              text NOT NULL,
    name            text NOT NULL,
    default_urgency text NOT NULL CHECK (default_urgency IN ('high', 'medium', 'low')),
    PRIMARY KEY (category, id)
);

INSERT INTO subtopics (category, id, name, default_urgency) VALUES
 ('consultation', 'product-feature',      'Product features and specifications', 'low'),
 ('consultation', 'pricing-promotion',    'Prices, coupons and promotions',      'low'),
 ('consultation', 'order-status',         'Where an order stands',               'medium'),
 ('consultation', 'delivery-policy',      'Delivery options and policy',         'low'),
 ('consultation', 'membership',           'Membership, points and account use',  'low'),
 ('complaint',    'logistics-delay',      'Late or lost delivery',               'medium'),
 ('complaint',    'service-quality',      'Rude or unhelpful service',           'high'),
 ('complaint',    'product-quality',      'Faulty or not as described',          'medium'),
 ('complaint',    'account-safety',       'Stolen account, fraud, privacy',      'high'),
 ('complaint',    'overcharge',           'Charged wrongly or twice',            'high'),
 ('suggestion',   'product-idea',         'Product ideas',                       'low'),
 ('suggestion',   'service-improvement',  'Service and process improvements',    'low'),
 ('suggestion',   'app-experience',       'App and website experience',          'low'),
 ('after-sales',  'refund',               'Refunds',                             'high'),
 ('after-sales',  'return-exchange',      'Returns and exchanges',               'medium'),
 ('after-sales',  'repair',               'Repairs',                             'medium'),
 ('after-sales',  'warranty',             'Warranty questions and claims',       'medium'),
 ('after-sales',  'invoice',              'Invoices and receipts',               'low'),
 ('other',        'general',              'Anything else',                       'low'),
 ('other',        'business-cooperation', 'Partnerships and business enquiries', 'low'),
 ('other',        'unclassified',         'Waiting for a person to classify',    'medium');

-- Customers an admin has marked VIP, by their stable key (the raw identity is never needed).
CREATE TABLE vip_customers (
    customer_key text PRIMARY KEY,
    note         text NOT NULL DEFAULT '',
    added_by     text NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now()
);

-- What a ticket was decided from: the rule set version or the model version, the confidence,
-- the IVR path and tags. The context columns stay off the indexes (written once at open).
ALTER TABLE tickets
    ADD COLUMN decided_by    text NOT NULL DEFAULT 'rules'
        CHECK (decided_by IN ('rules', 'classifier', 'hint', 'triage', 'person')),
    ADD COLUMN rule_version  int,
    ADD COLUMN model_version int,
    ADD COLUMN confidence    real,
    ADD COLUMN ivr_path      text NOT NULL DEFAULT '',
    ADD COLUMN tags          text[] NOT NULL DEFAULT '{}';

-- Order numbers a ticket's messages named: a later message naming one joins that ticket.
CREATE TABLE ticket_orders (
    order_ref text NOT NULL,
    ticket_id uuid NOT NULL REFERENCES tickets(id),
    PRIMARY KEY (order_ref, ticket_id)
);

-- E-mail threading: a reply names earlier Message-IDs in In-Reply-To / References.
ALTER TABLE messages ADD COLUMN thread_ref text;
CREATE INDEX messages_thread_idx ON messages (thread_ref) WHERE thread_ref IS NOT NULL;

-- The triage desk: tickets the classifier was not sure enough about wait here for a person.
INSERT INTO departments (id, name) VALUES ('triage', 'Triage desk');
INSERT INTO agents (id, name, department_id, role, max_open) VALUES
    ('triage-01', 'Triage desk agent 1', 'triage', 'agent', 500),
    ('triage-02', 'Triage desk agent 2', 'triage', 'agent', 500),
    ('triage-lead', 'Triage desk supervisor', 'triage', 'supervisor', 50);

-- Every human action (desk), append-only: UPDATE and DELETE are refused.
CREATE TABLE audit_log (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,
    role   text NOT NULL,
    action text NOT NULL,            -- e.g. ticket.reclassify, rule_set.activate, kb.publish
    target text NOT NULL,            -- e.g. a ticket number, 'rule_set:3', 'kb:17'
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_target_idx ON audit_log (target, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
