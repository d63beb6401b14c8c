/* gp_bugs.c: names and summaries of the bug catalog (gp_bugs.h), generated
 * from GP_BUG_MAP so that the enum, the command-line names and the summaries
 * cannot drift apart. */
#include "gp_bugs.h"

#include <stddef.h>
#include <string.h>

static const char *const gp_bug_names[GP_BUG_COUNT] = {
#define GP_BUG_NAME(e, name, summary) [GP_BUG_##e] = name,
    GP_BUG_MAP(GP_BUG_NAME)
#undef GP_BUG_NAME
};

static const char *const gp_bug_summaries[GP_BUG_COUNT] = {
#define GP_BUG_SUMMARY(e, name, summary) [GP_BUG_##e] = summary,
    GP_BUG_MAP(GP_BUG_SUMMARY)
#undef GP_BUG_SUMMARY
};

const char *gp_bug_name(gp_bug b)
{
    return (unsigned)b < GP_BUG_COUNT ? gp_bug_names[b] : NULL;
}

const char *gp_bug_summary(gp_bug b)
{
    return (unsigned)b < GP_BUG_COUNT ? gp_bug_summaries[b] : NULL;
}

/* Exact, case-sensitive match; NULL is unknown. */
gp_bug gp_bug_parse(const char *name)
{
    if (name == NULL)
        return GP_BUG_COUNT;
    for (int b = 0; b < GP_BUG_COUNT; b++)
        if (strcmp(name, gp_bug_names[b]) == 0)
            return (gp_bug)b;
    return GP_BUG_COUNT;
}
