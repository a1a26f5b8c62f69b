/* kb_corpus.c - the knowledge-base test articles and customer messages (kb_corpus.h). */
#include "kb_corpus.h"

const sb_kb_sample sb_kb_corpus[] = {
    {"logistics-cn", "complaint", "logistics-delay", "快递超过三天未送达怎么办",
     {"物流", "延迟", "催件", NULL},
     "先在物流系统查询运单轨迹。若包裹滞留超过72小时，联系快递公司催件并登记工单；承诺客户24小时内"
     "回电告知进度。超过5天仍未送达，按丢件处理：补发商品或全额退款，并赠送10元无门槛优惠券。"},
    {"logistics-en", "complaint", "logistics-delay", "Package delayed in transit for several days",
     {"shipping", "delay", NULL},
     "Check the carrier tracking page for the last scan. If the parcel has not moved for 3 days, "
     "open a trace with the carrier and tell the customer we will update them within 24 hours. "
     "After 5 days, treat it as lost: reship or refund in full."},
    {"refund-cn", "after-sales", "refund", "退款申请后迟迟没有到账",
     {"退款", "到账", NULL},
     "退款审核通过后原路退回：支付宝或微信1-3个工作日，银行卡3-7个工作日。请客户核对退款账户；"
     "超过时限仍未到账，提供退款流水号让客户向银行查询，仍有问题升级财务处理。"},
    {"refund-en", "after-sales", "refund", "Refund not received after the return was approved",
     {"refund", "payment", NULL},
     "Refunds go back to the original payment method. Cards take 3-7 business days, wallets 1-3. "
     "Give the customer the refund reference number so their bank can trace it; if it is older "
     "than 10 business days, escalate to finance."},
    {"return-cn", "after-sales", "return-exchange", "七天无理由退货流程",
     {"退货", "七天无理由", NULL},
     "商品签收7天内、不影响二次销售即可申请无理由退货。在订单页点击申请售后，选择退货，填写原因并上传"
     "照片，审核通过后按地址寄回，运费由买家承担（质量问题除外）。"},
    {"exchange-en", "after-sales", "return-exchange",
     "How to exchange an item for a different size",
     {"exchange", "size", NULL},
     "Open the order, choose Return or exchange and pick the new size. We email a prepaid label; "
     "ship the item back unworn with its tags within 30 days. The replacement ships once the "
     "warehouse scans the return."},
    {"account-cn", "complaint", "account-safety", "账号被盗或出现异常登录",
     {"账号安全", "盗号", NULL},
     "立即引导客户修改密码并开启短信二次验证；冻结账户的支付功能；核实最近的异常订单并拦截未发货订单；"
     "如有资金损失，协助客户报警并提交风控部门调查。"},
    {"account-en", "complaint", "account-safety", "Suspicious login and password reset",
     {"account", "security", "password"},
     "Ask the customer to reset the password from the login page and turn on two-factor "
     "authentication. Sign out all devices, review recent orders for fraud and forward confirmed "
     "fraud to the risk team."},
    {"overcharge-cn", "complaint", "overcharge", "同一订单重复扣款",
     {"扣款", "重复支付", NULL},
     "核对支付记录，确认同一订单被扣款两次后，在支付后台发起重复支付退款，款项原路退回，1-7个工作日"
     "到账。告知客户退款单号。"},
    {"overcharge-en", "complaint", "overcharge", "Charged twice for one order",
     {"billing", "duplicate charge", NULL},
     "Confirm both transactions in the payment console. Void the duplicate charge if it is still "
     "pending, otherwise refund it; tell the customer it can take up to 7 business days to "
     "disappear from the statement."},
    {"invoice-cn", "after-sales", "invoice", "如何开具电子发票",
     {"发票", NULL},
     "订单完成后在订单详情页点击申请发票，填写抬头和税号，电子发票在48小时内发送到邮箱。需要增值税专用"
     "发票请联系客服提交资质。"},
    {"invoice-en", "after-sales", "invoice", "Requesting a VAT invoice for a business order",
     {"invoice", "vat", NULL},
     "Invoices can be requested from the order details page once the order is delivered. Enter "
     "the company name and tax ID; the PDF invoice is emailed within 48 hours."},
    {"repair-cn", "after-sales", "repair", "手机屏幕损坏怎么维修",
     {"维修", "屏幕", NULL},
     "保修期内非人为损坏免费维修；人为损坏按官方价格收费。可预约上门取件或到就近服务网点送修，维修周期"
     "约5-7天，可通过维修单号查询进度。"},
    {"warranty-en", "after-sales", "warranty", "Warranty coverage for a faulty laptop",
     {"warranty", "laptop", NULL},
     "Laptops carry a one-year manufacturer warranty covering hardware faults. Ask for the serial "
     "number and proof of purchase, then book a repair with the service centre. Accidental damage "
     "is not covered."},
    {"points-cn", "consultation", "membership", "会员积分如何使用和过期规则",
     {"会员", "积分", NULL},
     "积分可在结算时抵扣现金，100积分抵1元；积分有效期为获得当年起至次年12月31日。会员等级根据近12个月"
     "消费金额计算。"},
    {"coupon-en", "consultation", "pricing-promotion", "Coupon cannot be applied at checkout",
     {"coupon", "promotion", NULL},
     "Check the coupon's minimum spend, valid dates and eligible products. Coupons cannot be "
     "combined with other discounts. If the coupon should have worked, issue a replacement code."},
    {"delivery-cn", "consultation", "delivery-policy", "配送范围与运费说明",
     {"配送", "运费", NULL},
     "全国大部分地区支持配送，偏远地区（新疆、西藏等）需额外3-5天。订单满99元包邮，不满收取8元运费。"
     "支持预约配送时间。"},
    {"damaged-cn", "complaint", "product-quality", "收到的商品有破损或质量问题",
     {"质量问题", "破损", NULL},
     "请客户在签收48小时内拍照上传破损部位和外包装。核实后可选择补发、换货或退款，退货运费由我们承担。"},
    {"rude-en", "complaint", "service-quality", "Customer unhappy with a rude support agent",
     {"service", "complaint", NULL},
     "Apologise, record the agent and the time of the conversation, and pass it to the quality "
     "team for review. Offer a goodwill coupon and a callback from a supervisor within 24 hours."},
    {"app-cn", "suggestion", "app-experience", "App闪退或卡顿的处理",
     {"app", "闪退", NULL},
     "请客户将App更新到最新版本，清理缓存后重启手机；如仍闪退，收集手机型号、系统版本和发生时间，提交给"
     "产品团队。"},
    {"status-en", "consultation", "order-status", "Where is my order: checking the order status",
     {"order status", "tracking", NULL},
     "Order status shows in My Orders: paid, packed, shipped, delivered. A tracking number appears "
     "once the order has shipped; carriers update tracking within 24 hours of pickup."},
};
const size_t sb_kb_corpus_len = sizeof(sb_kb_corpus) / sizeof(sb_kb_corpus[0]);

const char *const sb_kb_customer_texts[] = {
    "你好，我的快递三天了还没到，物流一直没有更新，麻烦帮我催一下",
    "退款申请已经通过一个星期了，钱还没有到账，请问怎么回事？",
    "同一个订单被扣了两次钱，请尽快处理重复扣款",
    "我的账号好像被盗了，收到了陌生的登录提醒",
    "收到的杯子碎了，外包装也破损了，要求换货",
    "请问怎么开电子发票？公司报销需要税号",
    "手机屏幕摔坏了，在保修期内能免费维修吗",
    "积分什么时候过期？能抵扣多少钱",
    "App一打开就闪退，已经重装过了",
    "想退货，七天无理由可以吗，衣服没穿过",
    "Hi, my package has been stuck in transit for 5 days, the tracking has not changed",
    "I returned the shoes two weeks ago and the refund still has not arrived on my card",
    "I was charged twice for order 88812, please refund the duplicate payment",
    "Someone logged into my account and changed my password",
    "The coupon code SAVE20 does not work at checkout",
    "Can I exchange the jacket for a larger size?",
    "My laptop stopped turning on after two months, is it covered by warranty?",
    "I need a VAT invoice with my company tax ID for this order",
    "The agent on the phone was very rude to me and hung up",
    "Where is my order? It says paid but not shipped yet",
};
const size_t sb_kb_customer_texts_len =
    sizeof(sb_kb_customer_texts) / sizeof(sb_kb_customer_texts[0]);
