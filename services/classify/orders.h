/* orders.h - order references named in a customer's message, the key that joins a message to
 * the open ticket about the same order. */
#ifndef CLASSIFY_ORDERS_H
#define CLASSIFY_ORDERS_H

#include <stddef.h>

#define CLASSIFY_ORDER_REFS_MAX 4
#define CLASSIFY_ORDER_REF_LEN  40

/* Finds up to max order references: the channel's own order id (hint, may be NULL), digits of
 * 6..32 characters right after an order word (order, order no., 订单, 订单号, 单号), and any bare run
 * of 12..32 digits (long enough not to be a phone number). Upper-cased, without blanks, each
 * once. Returns how many were written to refs. */
size_t classify_order_refs(const char *text, const char *hint,
                           char refs[][CLASSIFY_ORDER_REF_LEN], size_t max);

#endif
