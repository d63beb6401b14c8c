/* gp_cli_report.c: what `run` does after writing the report folder. */
#include "gp_cli.h"

void gp_cli_after_report(const gp_run *run, const char *dir, const gp_cli_common *o)
{
    (void)run;
    (void)dir;
    (void)o;
}
