-- The organisation dispatch routes with and desk administers (issue 5): teams and their
-- supervisors, agents' skills and languages, routing with co-operating departments and the skill
-- a sub-topic needs, acknowledgement time per priority, reply templates, replies sent, merged
-- duplicates, and who may read raw customer contact.

-- A team belongs to one department and has one supervisor; a supervisor sees their teams' work.
CREATE TABLE teams (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    department_id text NOT NULL REFERENCES departments(id),
    supervisor_id text REFERENCES agents(id)
);

-- skills: free words a routing row can require (e.g. 'payments', 'security');
-- languages: what the agent answers in ('zh', 'en'). An agent has one home department
-- (agents.department_id): dispatch counts their capacity there (services/dispatch/README.md).
ALTER TABLE agents
    ADD COLUMN team_id      text REFERENCES teams(id),
    ADD COLUMN skills       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN languages    text[] NOT NULL DEFAULT '{zh,en}',
    ADD COLUMN contact_read boolean NOT NULL DEFAULT false,   -- may read raw customer contact
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();

-- Routing: a category's lead department stays categories.department_id (classify stamps it on
-- the ticket, rules may override it); co-operating departments join the task.
ALTER TABLE categories
    ADD COLUMN co_departments text[] NOT NULL DEFAULT '{}';

-- A sub-topic that needs a skill: only agents listing it may take such tickets.
CREATE TABLE routing_skills (
    category text NOT NULL,
    subtopic text NOT NULL,
    skill    text NOT NULL CHECK (skill <> ''),
    PRIMARY KEY (category, subtopic),
    FOREIGN KEY (category, subtopic) REFERENCES subtopics (category, id)
);

-- How long an agent has to accept an offered ticket, per priority (default 1 h).
CREATE TABLE ack_policies (
    priority    text PRIMARY KEY CHECK (priority IN ('P1', 'P2', 'P3')),
    ack_seconds int  NOT NULL CHECK (ack_seconds > 0)
);
INSERT INTO ack_policies (priority, ack_seconds) VALUES ('P1', 3600), ('P2', 3600), ('P3', 3600);

-- The ticket's language (from its first message) and the departments co-operating on it;
-- a merged duplicate points at the ticket it joined.
ALTER TABLE tickets
    ADD COLUMN language       text CHECK (language IN ('zh', 'en')),
    ADD COLUMN co_departments text[] NOT NULL DEFAULT '{}',
    ADD COLUMN merged_into    uuid REFERENCES tickets(id);

-- Standard replies; {{variable}} placeholders are filled when an agent replies.
CREATE TABLE reply_templates (
    id         text PRIMARY KEY,
    language   text NOT NULL CHECK (language IN ('zh', 'en')),
    title      text NOT NULL,
    body       text NOT NULL,
    category   text REFERENCES categories(id),    -- NULL: fits any category
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Replies sent to customers (the replied event carries the same id).
CREATE TABLE replies (
    id          uuid PRIMARY KEY,
    ticket_id   uuid NOT NULL REFERENCES tickets(id),
    author      text NOT NULL,
    template_id text REFERENCES reply_templates(id),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replies_ticket_idx ON replies (ticket_id, created_at);

-- Seed: one team per department, led by its supervisor.
INSERT INTO teams (id, name, department_id, supervisor_id)
SELECT d.id || '-team', d.name || ' team', d.id, d.id || '-lead' FROM departments d;
UPDATE agents SET team_id = department_id || '-team';
UPDATE agents SET contact_read = true WHERE role IN ('supervisor', 'admin');

-- Money and account safety need trained hands; two agents of each such department have them.
INSERT INTO routing_skills (category, subtopic, skill) VALUES
    ('complaint',   'account-safety', 'security'),
    ('complaint',   'overcharge',     'payments'),
    ('after-sales', 'refund',         'payments');
UPDATE agents SET skills = '{security,payments}' WHERE id IN ('quality-01', 'quality-02');
UPDATE agents SET skills = '{payments}' WHERE id IN ('after-sales-01', 'after-sales-02');
UPDATE categories SET co_departments = '{after-sales}' WHERE id = 'complaint';

INSERT INTO reply_templates (id, language, title, body, category) VALUES
 ('greeting-en', 'en', 'Greeting',
  'Hello {{customer_name}}, this is {{agent_name}} from customer service. We have received your request {{ticket_number}} and are looking into it.', NULL),
 ('greeting-zh', 'zh', '问候',
  '{{customer_name}}您好，我是客服{{agent_name}}，您的工单{{ticket_number}}已收到，我们正在处理。', NULL),
 ('logistics-en', 'en', 'Delivery delay',
  'Hello {{customer_name}}, we are sorry your order is late. We have contacted the carrier about {{ticket_number}} and will update you within 24 hours.', 'complaint'),
 ('logistics-zh', 'zh', '物流延误',
  '{{customer_name}}您好，很抱歉您的订单延误了。我们已就工单{{ticket_number}}联系快递公司，将在24小时内给您答复。', 'complaint'),
 ('refund-en', 'en', 'Refund started',
  'Hello {{customer_name}}, your refund for {{ticket_number}} has been started and should arrive within 3 to 5 working days.', 'after-sales'),
 ('refund-zh', 'zh', '退款已发起',
  '{{customer_name}}您好，工单{{ticket_number}}的退款已发起，预计3至5个工作日到账。', 'after-sales'),
 ('closing-en', 'en', 'Closing',
  'Thank you for contacting us, {{customer_name}}. If anything else comes up, just reply to this message.', NULL),
 ('closing-zh', 'zh', '结束语',
  '感谢您的来信，{{customer_name}}。如有其他问题，请直接回复本消息。', NULL);
