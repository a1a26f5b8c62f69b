-- Admin-editable, versioned rule sets (common/rules.h): a draft is edited, dry-run over recent
-- tickets, then activated; the active set is frozen, the one before it retired. Replaces the
-- fixed keyword rules of classify_rules.

CREATE TABLE rule_sets (
    version      serial PRIMARY KEY,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'retired')),
    note         text NOT NULL DEFAULT '',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    activated_by text,
    activated_at timestamptz,
    retired_at   timestamptz
);
-- At most one active set; classify polls it, so the lookup is this index.
CREATE UNIQUE INDEX rule_sets_one_active ON rule_sets (status) WHERE status = 'active';

-- The rules of a set, in evaluation order (position = index in the JSON array admins send).
CREATE TABLE rule_set_rules (
    version    int  NOT NULL REFERENCES rule_sets(version),
    position   int  NOT NULL CHECK (position >= 0),
    name       text NOT NULL,
    stage      text NOT NULL CHECK (stage IN ('classify', 'priority')),
    conditions jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(conditions) = 'object'),
    actions    jsonb NOT NULL CHECK (jsonb_typeof(actions) = 'object'),
    PRIMARY KEY (version, position),
    UNIQUE (version, name)
);

-- Once a set has been active its rules never change (tickets name the version that decided
-- them): only a draft's rules may be written. A new version is the way to change rules.
CREATE FUNCTION rule_set_rules_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v int := CASE WHEN TG_OP = 'DELETE' THEN OLD.version ELSE NEW.version END;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.version <> NEW.version THEN
        RAISE EXCEPTION 'a rule cannot move to another rule set' USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT status FROM rule_sets WHERE version = v) <> 'draft' THEN
        RAISE EXCEPTION 'rule set % is not a draft: its rules are frozen', v
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER rule_set_rules_frozen BEFORE INSERT OR UPDATE OR DELETE ON rule_set_rules
    FOR EACH ROW EXECUTE FUNCTION rule_set_rules_frozen();

-- A set never goes back to draft, and a set is never deleted (a ticket may name it).
CREATE FUNCTION rule_sets_lifecycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'rule sets are kept' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status <> 'draft' AND NEW.status = 'draft' THEN
        RAISE EXCEPTION 'rule set % cannot become a draft again', OLD.version
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER rule_sets_lifecycle BEFORE UPDATE OR DELETE ON rule_sets
    FOR EACH ROW EXECUTE FUNCTION rule_sets_lifecycle();

-- The sub-topic a category gets when only the category is known (a channel's hint).
ALTER TABLE categories ADD COLUMN default_subtopic text;
ALTER TABLE categories ADD CONSTRAINT categories_default_subtopic_fk
    FOREIGN KEY (id, default_subtopic) REFERENCES subtopics (category, id);
UPDATE categories SET default_subtopic = CASE id
    WHEN 'consultation' THEN 'product-feature'
    WHEN 'complaint'    THEN 'service-quality'
    WHEN 'suggestion'   THEN 'product-idea'
    WHEN 'after-sales'  THEN 'return-exchange'
    WHEN 'other'        THEN 'general' END;

-- Version 1, the default set. It holds every keyword of the old classify_rules seed (002; nothing
-- else ever wrote that table), re-expressed in the sub-topic taxonomy (return-repair became
-- return-exchange and repair), plus the priority rules classify had hard-coded. Order matters:
-- the first rule to set a field wins, so the serious and the specific come first. Keywords are
-- case-insensitive substrings; short English words that occur inside others ("app", "late")
-- are regexes with word boundaries instead. Every condition of a rule must hold (keywords AND
-- regex); alternatives are separate rules with the same actions.
INSERT INTO rule_sets (version, status, note, created_by)
VALUES (1, 'draft', 'Default rule set (migration 007)', 'migration');

INSERT INTO rule_set_rules (version, position, name, stage, conditions, actions) VALUES
-- classify stage --------------------------------------------------------------------------
(1, 0, 'urgent wording', 'classify',
 '{"keywords_any": ["紧急", "急急", "十万火急", "马上处理", "立刻处理", "尽快处理", "urgent", "asap",
                    "as soon as possible", "immediately", "emergency"]}',
 '{"urgency": "high"}'),
(1, 1, 'account safety', 'classify',
 '{"keywords_any": ["盗号", "被盗", "异地登录", "账号被", "账户被", "被人登录", "密码被改", "被冻结",
                    "诈骗", "骗子", "钓鱼", "泄露", "盗刷", "hacked", "unauthorized login",
                    "unauthorised login", "unauthorized access", "someone logged in", "fraud",
                    "phishing", "scam", "account locked", "identity theft", "data leak"]}',
 '{"category": "complaint", "subtopic": "account-safety", "urgency": "high"}'),
(1, 2, 'account stolen', 'classify',
 '{"regex": "(account|password|card|账号|账户|密码).{0,20}(stolen|compromised|盗用)"}',
 '{"category": "complaint", "subtopic": "account-safety", "urgency": "high"}'),
(1, 3, 'overcharge', 'classify',
 '{"keywords_any": ["多扣", "扣了两次", "重复扣款", "扣款两次", "乱扣费", "多收", "收费错误", "扣错",
                    "被扣费", "扣款", "charged twice", "double charged", "double-charged",
                    "overcharged", "overcharge", "billed twice", "unauthorized charge",
                    "unauthorised charge", "wrong amount", "extra charge"]}',
 '{"category": "complaint", "subtopic": "overcharge", "urgency": "high"}'),
(1, 4, 'refund', 'classify',
 '{"keywords_any": ["退款", "退钱", "还没退", "退回的钱", "钱没到账", "返还", "refund", "money back",
                    "reimburse", "payment failed", "付款失败", "支付失败", "付了钱"]}',
 '{"category": "after-sales", "subtopic": "refund", "urgency": "high"}'),
(1, 5, 'order status', 'classify',
 '{"keywords_any": ["订单状态", "发货了吗", "什么时候发货", "何时发货", "发货没有", "订单到哪",
                    "order status", "has my order shipped", "when will it ship",
                    "when will my order ship", "order confirmation"]}',
 '{"category": "consultation", "subtopic": "order-status", "urgency": "medium"}'),
(1, 6, 'delivery policy', 'classify',
 '{"keywords_any": ["包邮", "运费", "配送范围", "几天能到", "发什么快递", "能送到", "shipping fee",
                    "shipping cost", "delivery options", "free shipping", "do you ship to",
                    "delivery time"]}',
 '{"category": "consultation", "subtopic": "delivery-policy"}'),
(1, 7, 'logistics delay', 'classify',
 '{"keywords_any": ["物流", "快递", "还没到", "没收到", "未收到", "迟迟", "延误", "催件", "配送慢",
                    "不动了", "delay", "not arrived", "hasn''t arrived", "has not arrived",
                    "not received", "haven''t received", "where is my", "lost parcel",
                    "lost package", "tracking"]}',
 '{"category": "complaint", "subtopic": "logistics-delay", "urgency": "medium"}'),
(1, 8, 'late delivery', 'classify',
 '{"regex": "\\b(late|overdue)\\b"}',
 '{"category": "complaint", "subtopic": "logistics-delay", "urgency": "medium"}'),
(1, 9, 'product quality', 'classify',
 '{"keywords_any": ["质量问题", "质量差", "做工", "瑕疵", "假货", "不是正品", "与描述不符", "色差",
                    "破损", "defect", "poor quality", "bad quality", "fake", "counterfeit",
                    "not as described", "arrived damaged"]}',
 '{"category": "complaint", "subtopic": "product-quality"}'),
(1, 10, 'service complaint', 'classify',
 '{"keywords_any": ["投诉", "态度差", "态度恶劣", "不理人", "不回复", "差评", "生气", "太差了",
                    "complain", "rude", "terrible", "unacceptable", "angry", "worst service"]}',
 '{"category": "complaint", "subtopic": "service-quality", "urgency": "high"}'),
(1, 11, 'return or exchange', 'classify',
 '{"keywords_any": ["退货", "换货", "退换", "七天无理由", "尺码不合适", "换一个", "return",
                    "exchange", "send it back", "wrong size", "wrong item"]}',
 '{"category": "after-sales", "subtopic": "return-exchange", "urgency": "medium"}'),
(1, 12, 'repair', 'classify',
 '{"keywords_any": ["维修", "坏了", "修理", "不能用", "无法开机", "故障", "开不了机", "broken",
                    "repair", "stopped working", "won''t turn on", "does not work",
                    "doesn''t work", "not working"]}',
 '{"category": "after-sales", "subtopic": "repair", "urgency": "medium"}'),
(1, 13, 'warranty', 'classify',
 '{"keywords_any": ["保修", "质保", "三包", "warranty", "guarantee"]}',
 '{"category": "after-sales", "subtopic": "warranty"}'),
(1, 14, 'invoice', 'classify',
 '{"keywords_any": ["发票", "开票", "收据", "报销", "invoice", "receipt", "vat invoice", "fapiao"]}',
 '{"category": "after-sales", "subtopic": "invoice", "urgency": "low"}'),
(1, 15, 'app experience suggestion', 'classify',
 '{"keywords_any": ["建议", "希望", "suggest", "would be nice", "would be great", "feature request",
                    "please add", "could you add"],
   "regex": "\\bapp\\b|界面|页面|闪退|卡顿|小程序|网站|website"}',
 '{"category": "suggestion", "subtopic": "app-experience", "urgency": "low"}'),
(1, 16, 'service improvement suggestion', 'classify',
 '{"regex": "(建议|希望).{0,20}(客服|服务|流程|售后)|improve (your )?(customer )?service"}',
 '{"category": "suggestion", "subtopic": "service-improvement", "urgency": "low"}'),
(1, 17, 'product idea', 'classify',
 '{"keywords_any": ["建议", "希望能", "希望可以", "希望增加", "能不能增加", "提个意见", "suggest",
                    "would be nice", "feature request", "it would be great", "please consider"]}',
 '{"category": "suggestion", "subtopic": "product-idea", "urgency": "low"}'),
(1, 18, 'business cooperation', 'classify',
 '{"keywords_any": ["合作", "商务", "代理", "加盟", "批发", "partnership", "cooperation",
                    "wholesale", "distributor", "reseller", "business inquiry"]}',
 '{"category": "other", "subtopic": "business-cooperation", "department": "presales"}'),
(1, 19, 'pricing and promotions', 'classify',
 '{"keywords_any": ["多少钱", "价格", "优惠", "优惠券", "折扣", "满减", "降价", "价保", "促销",
                    "price", "discount", "coupon", "promotion", "promo code", "how much"]}',
 '{"category": "consultation", "subtopic": "pricing-promotion", "urgency": "low"}'),
(1, 20, 'membership', 'classify',
 '{"keywords_any": ["会员", "积分", "membership", "loyalty points", "member card",
                    "member level"]}',
 '{"category": "consultation", "subtopic": "membership", "urgency": "low"}'),
(1, 21, 'product question', 'classify',
 '{"keywords_any": ["怎么", "如何", "请问", "尺寸", "规格", "参数", "兼容", "支持吗", "how do",
                    "how to", "does it", "size", "specification", "specs", "compatible", "is it possible"]}',
 '{"category": "consultation", "subtopic": "product-feature", "urgency": "low"}'),
-- The IVR menu (1 consultation, 2 complaints, 3 after-sales): when no words decided, the menu
-- the caller chose does. The deeper path first.
(1, 22, 'IVR complaints > delivery', 'classify',
 '{"channel": ["phone"], "ivr_path_prefix": "2>1"}',
 '{"category": "complaint", "subtopic": "logistics-delay"}'),
(1, 23, 'IVR complaints', 'classify',
 '{"channel": ["phone"], "ivr_path_prefix": "2"}',
 '{"category": "complaint", "subtopic": "service-quality"}'),
(1, 24, 'IVR after-sales', 'classify',
 '{"channel": ["phone"], "ivr_path_prefix": "3"}',
 '{"category": "after-sales", "subtopic": "return-exchange"}'),
(1, 25, 'IVR consultation', 'classify',
 '{"channel": ["phone"], "ivr_path_prefix": "1"}',
 '{"category": "consultation", "subtopic": "product-feature"}'),
-- priority stage -------------------------------------------------------------------------
(1, 26, 'money or account safety', 'priority',
 '{"subtopic": ["refund", "overcharge", "account-safety"]}',
 '{"priority": "P1", "tags": ["money-or-safety"]}'),
(1, 27, 'VIP + complaint + high urgency', 'priority',
 '{"tier": ["vip"], "category": ["complaint"], "urgency": ["high"]}',
 '{"priority": "P1", "tags": ["vip"]}'),
(1, 28, 'high-value order complaint', 'priority',
 '{"category": ["complaint", "after-sales"], "order_value_min": 5000}',
 '{"priority": "P1", "tags": ["high-value"]}'),
(1, 29, 'repeat contact', 'priority',
 '{"history": {"tickets_90d_min": 2}}',
 '{"tags": ["repeat-contact"]}'),
(1, 30, 'suggestion', 'priority',
 '{"category": ["suggestion"]}',
 '{"priority": "P3"}'),
(1, 31, 'regular consultation', 'priority',
 '{"category": ["consultation"]}',
 '{"priority": "P2"}');

UPDATE rule_sets SET status = 'active', activated_by = 'migration', activated_at = now()
WHERE version = 1;
SELECT setval(pg_get_serial_sequence('rule_sets', 'version'), 1);

DROP TABLE classify_rules;
