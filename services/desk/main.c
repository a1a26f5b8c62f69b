/* main.c - sb-desk: the API agents, supervisors and admins work tickets with. */
#include "common/auth.h"
#include "common/config.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/service.h"
#include "services/desk/desk.h"

/* How often the outbox relay looks for events desk's actions queued (it is also kicked). */
#define DESK_OUTBOX_INTERVAL_MS 200

int main(void)
{
    sb_service s;
    desk_classifier classifier = {&s, NULL};
    if (sb_service_init(&s, "desk", "127.0.0.1:8080", SB_SVC_PG | SB_SVC_PRODUCER) != 0 ||
        sb_auth_seed_admin_from_env(s.pg) != 0 || desk_ticket_routes(&s) != 0 || desk_list_routes(&s) != 0 ||
        !(classifier.trainer = desk_trainer_new(s.base, s.cfg.pg_dsn)) ||
        desk_classifier_routes(&classifier) != 0 || desk_rules_admin_routes(&s) != 0 ||
        desk_kb_routes(&s) != 0 ||
        desk_me_routes(&s) != 0 || desk_templates_routes(&s) != 0 || desk_board_routes(&s) != 0 ||
        desk_console_routes(&s) != 0 ||
        desk_admin_routes(&s) != 0) {
        desk_trainer_free(classifier.trainer);
        sb_service_close(&s);
        return 1;
    }
    /* Desk's actions change PostgreSQL and announce it through the outbox (DESIGN.md). */
    sb_outbox_relay *relay = sb_outbox_relay_new(s.base, s.pg, s.producer,
                                                 DESK_OUTBOX_INTERVAL_MS, s.metrics);
    int rc = relay && desk_action_routes(&s, relay) == 0 ? sb_service_run(&s) : -1;
    sb_outbox_relay_free(relay);
    desk_trainer_free(classifier.trainer);   /* before the HTTP server frees the requests it holds */
    sb_service_close(&s);
    return rc == 0 ? 0 : 1;
}
