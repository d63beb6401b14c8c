/* gp_error.c: names and messages for the codes in gp_error.h. */
#include "gp_error.h"

const char *gp_err_name(int code)
{
    switch (code) {
    case GP_OK:
        return "GP_OK";
#define GP_ERR_NAME(name, c, msg)                                              \
    case c:                                                                    \
        return "GP_ERR_" #name;
        GP_ERROR_MAP(GP_ERR_NAME)
#undef GP_ERR_NAME
    default:
        return "GP_ERR_UNKNOWN";
    }
}

const char *gp_err_message(int code)
{
    switch (code) {
    case GP_OK:
        return "success";
#define GP_ERR_MSG(name, c, msg)                                               \
    case c:                                                                    \
        return msg;
        GP_ERROR_MAP(GP_ERR_MSG)
#undef GP_ERR_MSG
    default:
        return "unknown error";
    }
}
