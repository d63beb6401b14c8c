/* gp_cli_live.c: live mode's entry point.  Until the libwebsockets client
 * driver is built, live mode says so clearly. */
#include <stdio.h>

#include "gp_cli.h"
#include "gp_error.h"

int gp_cli_live_run(gp_run *run, const gp_cli_common *o, char *err, size_t err_len)
{
    (void)run;
    (void)o;
    snprintf(err, err_len, "live mode is not available in this build; use --mode sim");
    return GP_ERR_INVALID_ARG;
}
