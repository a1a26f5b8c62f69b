-- Seed organisation and first keyword rules for the demo and the tests.

INSERT INTO departments (id, name) VALUES
    ('presales',   'Pre-sales consultation'),
    ('service',    'Customer service'),
    ('after-sales','After-sales'),
    ('quality',    'Quality and complaints'),
    ('product',    'Product');

INSERT INTO categories (id, name, department_id) VALUES
    ('consultation', 'Consultation', 'presales'),
    ('complaint',    'Complaint',    'quality'),
    ('suggestion',   'Suggestion',   'product'),
    ('after-sales',  'After-sales',  'after-sales'),
    ('other',        'Other',        'service');

INSERT INTO agents (id, name, department_id, role, max_open)
SELECT format('%s-%s', d.id, lpad(n::text, 2, '0')),
       format('%s agent %s', d.name, n), d.id, 'agent', 500
FROM departments d, generate_series(1, 4) n;

INSERT INTO agents (id, name, department_id, role, max_open)
SELECT format('%s-lead', d.id), format('%s supervisor', d.name), d.id, 'supervisor', 50
FROM departments d;

INSERT INTO classify_rules (position, name, keywords, category, subtopic, urgency) VALUES
 (10, 'account safety',     ARRAY['stolen','hacked','fraud','盗号','被盗','诈骗','account locked'], 'complaint', 'account-safety', 'high'),
 (20, 'money',              ARRAY['refund','charged twice','payment','退款','扣款','付款'], 'after-sales', 'refund', 'high'),
 (30, 'logistics delay',    ARRAY['late','delay','not arrived','where is my','物流','快递','还没到'], 'complaint', 'logistics-delay', 'medium'),
 (40, 'complaint',          ARRAY['complain','terrible','angry','投诉','差评','生气'], 'complaint', 'service-quality', 'high'),
 (50, 'return or repair',   ARRAY['return','broken','repair','defect','退货','换货','维修','坏了'], 'after-sales', 'return-repair', 'medium'),
 (60, 'suggestion',         ARRAY['suggest','would be nice','feature request','建议','希望'], 'suggestion', 'product-idea', 'low'),
 (70, 'product question',   ARRAY['how','does it','size','price','spec','怎么','多少钱','尺寸','请问'], 'consultation', 'product-feature', 'low');
