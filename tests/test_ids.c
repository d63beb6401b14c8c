/* test_ids.c: cmocka tests of the two connection-id formats (gp_ids.h).
 *
 * The incident's root cause was one connection getting one id of each format;
 * these tests pin down that the formats can never collide and that the
 * validators accept exactly the header's grammar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_env.h"
#include "gp_error.h"
#include "gp_ids.h"
#include "gp_lifecycle.h"

enum { N_IDS = 1000 };

static void test_preliminary_and_unified_ids_never_match(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1725960687000u, 42);
    static char prelim[N_IDS][GP_ID_LEN_MAX + 1];
    static char unified[N_IDS][GP_ID_LEN_MAX + 1];
    for (uint64_t i = 0; i < N_IDS; i++) {
        uint64_t now = fe->env.now_ms(fe->env.ctx);
        uint64_t object_id = fe->env.random_u64(fe->env.ctx) % 1000000000000u;
        assert_int_equal(gp_id_preliminary(prelim[i], sizeof(prelim[i]), now,
                                           object_id),
                         GP_OK);
        assert_int_equal(gp_id_unified(unified[i], sizeof(unified[i]), i + 1,
                                       fe->env.random_u64(fe->env.ctx)),
                         GP_OK);
        assert_true(gp_id_is_preliminary(prelim[i]));
        assert_false(gp_id_is_unified(prelim[i]));
        assert_true(gp_id_is_unified(unified[i]));
        assert_false(gp_id_is_preliminary(unified[i]));
        assert_true(strncmp(prelim[i], "ws_", 3) == 0);
        assert_true(strncmp(unified[i], "conn_websocket_", 15) == 0);
        fake_env_advance(fe, NULL, 1 + i % 3);
    }
    for (size_t i = 0; i < N_IDS; i++)
        for (size_t j = 0; j < N_IDS; j++)
            assert_true(strcmp(prelim[i], unified[j]) != 0);
    fake_env_free(fe);
}

static void test_generated_ids_have_exact_text(void **state)
{
    (void)state;
    char out[GP_ID_LEN_MAX + 1];
    assert_int_equal(gp_id_preliminary(out, sizeof(out), 1725960687000u, 1757498281u),
                     GP_OK);
    assert_string_equal(out, "ws_1725960687000_1757498281");
    assert_int_equal(gp_id_unified(out, sizeof(out), 1, 0xfeedface0a1b2c3dU), GP_OK);
    assert_string_equal(out, "conn_websocket_1_0a1b2c3d"); /* low 32 bits */
    assert_int_equal(gp_id_unified(out, sizeof(out), 12, 0x1), GP_OK);
    assert_string_equal(out, "conn_websocket_12_00000001");
    assert_int_equal(gp_id_unified(out, sizeof(out), 0, 0xA1B2C3D4u), GP_OK);
    assert_string_equal(out, "conn_websocket_0_a1b2c3d4");
    assert_true(gp_id_is_unified(out));
    /* The widest values still fit and validate (20 digits each). */
    assert_int_equal(gp_id_preliminary(out, sizeof(out), UINT64_MAX, UINT64_MAX),
                     GP_OK);
    assert_string_equal(out, "ws_18446744073709551615_18446744073709551615");
    assert_true(gp_id_is_preliminary(out));
    assert_int_equal(gp_id_unified(out, sizeof(out), UINT64_MAX, UINT64_MAX), GP_OK);
    assert_string_equal(out, "conn_websocket_18446744073709551615_ffffffff");
    assert_true(gp_id_is_unified(out));
}

static void test_validators_accept_incident_examples(void **state)
{
    (void)state;
    assert_true(gp_id_is_preliminary("ws_1725960687000_1757498281"));
    assert_true(gp_id_is_valid("ws_1725960687000_1757498281"));
    assert_true(gp_id_is_unified("conn_websocket_1_a1b2c3d4"));
    assert_true(gp_id_is_valid("conn_websocket_1_a1b2c3d4"));
    assert_true(gp_id_is_preliminary("ws_1725960687000_140234567890123"));
    assert_true(gp_id_is_preliminary("ws_0_0"));
    assert_true(gp_id_is_unified("conn_websocket_99_00000000"));
    assert_true(gp_id_is_preliminary("ws_12345678901234567890_1"));
}

static void test_validators_reject_malformed_ids(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "ws_",
        "ws_1725960687000",
        "ws_1725960687000_",
        "ws__1757498281",
        "ws_1725960687000_1757498281_",
        "ws_1725960687000_1757498281x",
        "ws_1725960687000_1757498281 ",
        " ws_1725960687000_1757498281",
        "WS_1725960687000_1757498281",
        "ws-1725960687000-1757498281",
        "ws_test_12345_67890",
        "ws_12a_5",
        "ws_-1_5",
        "ws_+1_5",
        "ws_123456789012345678901_1", /* 21 digits */
        "ws_1_123456789012345678901",
        "ws_10594514_1757498281_92a8758b", /* the incident's hybrid */
        "conn_websocket_1_A1B2C3D4",
        "conn_websocket_1_a1B2c3d4",
        "conn_websocket_1_a1b2c3d",
        "conn_websocket_1_a1b2c3d4e",
        "conn_websocket_1_a1b2c3g4",
        "conn_websocket_1_",
        "conn_websocket__a1b2c3d4",
        "conn_websocket_a1b2c3d4",
        "conn_websocket_1_a1b2c3d4 ",
        "conn_websocket_1_a1b2c3d4_",
        "conn_websocket_1_0xa1b2c3",
        "conn_websocket_123456789012345678901_a1b2c3d4",
        "conn_websocket",
        "conn_websocket_",
        "conn_1_a1b2c3d4",
        "Conn_websocket_1_a1b2c3d4",
        "test_connection",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (gp_id_is_valid(bad[i]))
            fail_msg("accepted malformed id \"%s\"", bad[i]);
        assert_false(gp_id_is_preliminary(bad[i]));
        assert_false(gp_id_is_unified(bad[i]));
    }
    assert_false(gp_id_is_preliminary(NULL));
    assert_false(gp_id_is_unified(NULL));
    assert_false(gp_id_is_valid(NULL));
    /* An embedded NUL ends the id: what follows is never looked at. */
    assert_true(gp_id_is_unified("conn_websocket_1_a1b2c3d4\0junk"));
}

static void test_buffer_too_small_gives_too_long(void **state)
{
    (void)state;
    const char *want = "ws_1725960687000_1757498281";
    size_t need = strlen(want) + 1;
    char out[64];
    assert_int_equal(gp_id_preliminary(out, need, 1725960687000u, 1757498281u),
                     GP_OK);
    assert_string_equal(out, want);
    memset(out, 'z', sizeof(out));
    assert_int_equal(gp_id_preliminary(out, need - 1, 1725960687000u, 1757498281u),
                     GP_ERR_TOO_LONG);
    assert_string_equal(out, ""); /* never half an id */
    assert_int_equal(out[need - 1], 'z'); /* nothing past out_len */

    const char *uwant = "conn_websocket_1_a1b2c3d4";
    need = strlen(uwant) + 1;
    assert_int_equal(gp_id_unified(out, need, 1, 0xa1b2c3d4u), GP_OK);
    assert_string_equal(out, uwant);
    memset(out, 'z', sizeof(out));
    assert_int_equal(gp_id_unified(out, need - 1, 1, 0xa1b2c3d4u), GP_ERR_TOO_LONG);
    assert_string_equal(out, "");
    assert_int_equal(out[need - 1], 'z');

    assert_int_equal(gp_id_unified(out, 0, 1, 1), GP_ERR_TOO_LONG);
    assert_int_equal(gp_id_preliminary(out, 0, 1, 1), GP_ERR_TOO_LONG);
    assert_int_equal(gp_id_preliminary(NULL, 10, 1, 1), GP_ERR_INVALID_ARG);
    assert_int_equal(gp_id_unified(NULL, 10, 1, 1), GP_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preliminary_and_unified_ids_never_match),
        cmocka_unit_test(test_generated_ids_have_exact_text),
        cmocka_unit_test(test_validators_accept_incident_examples),
        cmocka_unit_test(test_validators_reject_malformed_ids),
        cmocka_unit_test(test_buffer_too_small_gives_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
