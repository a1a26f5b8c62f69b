/* main.c - sb-desk: the API agents, supervisors and admins work tickets with. */
#include "common/auth.h"
#include "common/config.h"
#include "common/log.h"
#include "common/service.h"
#include "services/desk/desk.h"

int main(void)
{
    sb_service s;
    if (sb_service_init(&s, "desk", "127.0.0.1:8080", SB_SVC_PG) != 0 ||
        sb_auth_seed_admin_from_env(s.pg) != 0 || desk_ticket_routes(&s) != 0 || desk_list_routes(&s) != 0) {
        sb_service_close(&s);
        return 1;
    }
    int rc = sb_service_run(&s);
    sb_service_close(&s);
    return rc == 0 ? 0 : 1;
}
