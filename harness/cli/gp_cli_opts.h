/* gp_cli_opts.h: every goldpath subcommand parses its options the same way:
 * getopt_long (so --seed=5, --seed 5, -q and -- work everywhere), from a
 * table, with errors that name the option and the wrong value and suggest
 * the option that was probably meant. */
#ifndef GP_CLI_OPTS_H
#define GP_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gp_cli_option {
    const char *name;  /* the long name, without "--" */
    int short_name;    /* 'q', or 0 */
    bool takes_value;
    int id;            /* handed back to on_option */
} gp_cli_option;

/* Called for each option found: `opt` is "--name" as written, `value` its
 * value (NULL when it takes none).  Returns 0 to go on, -1 after printing an
 * error. */
typedef int (*gp_cli_on_option)(void *ctx, int id, const char *opt, const char *value);
/* Called for each operand (a word that is not an option, or anything after
 * "--").  Returns 0, or -1 after printing an error. */
typedef int (*gp_cli_on_operand)(void *ctx, const char *arg);

/* Parses argv[1..argc) of subcommand `cmd` (argv[0] is the command word).
 * -h/--help prints the command's help and returns 1; --version prints the
 * version and returns 1.  Returns 0 when everything parsed, -1 after an
 * error was printed to stderr ("goldpath CMD: ..."). */
int gp_cli_getopt(const char *cmd, int argc, char **argv, const gp_cli_option *opts,
                  size_t count, gp_cli_on_option on_option, gp_cli_on_operand on_operand,
                  void *ctx);

/* A whole decimal number in [lo, hi]; otherwise prints
 *   goldpath CMD: OPT: "VALUE" is not a whole number from LO to HI
 * and returns -1. */
int gp_cli_number(const char *cmd, const char *opt, const char *value, uint64_t lo,
                  uint64_t hi, uint64_t *out);

/* Prints "goldpath VERSION" (the same line as goldpath --version). */
void gp_cli_version(void);

#endif
