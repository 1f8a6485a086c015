/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The boot timeline: the verdict scanner keeps the first time each boot stage was seen
 * (however the console was chunked), and AmiRun.Timing's JSON and `run --timing`'s text
 * have the documented shape (docs/run.md "Timing").
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/timing.h"
#include "ami-run/verdict.h"
#include "test-util.h"

/* A Debian boot with cloud-init, as its console prints it: each line and its time. */
static const struct {
    const char *line;
    double seconds;
    const char *stage; /* the stage it starts, or NULL */
} boot[] = {
    {"SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n", 0.5, "firmware"},
    {"Booting from Hard Disk...\r\n", 0.7, NULL},
    {"\x1b[2J\x1b[01;01HWelcome to GRUB!\r\n", 0.9, "bootloader"},
    {"Booting `Debian GNU/Linux'\r\n", 1.0, NULL},
    {"[    0.000000] Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org)\r\n", 1.5,
     "kernel"},
    {"[    1.200000] Freeing initrd memory: 21520K\r\n", 2.5, "initramfs"},
    {"[    1.900000] Run /init as init process\r\n", 2.9, "userspace"},
    {"Loading, please wait...\r\n", 3.0, NULL}, /* initramfs again: not its first time */
    {"[  OK  ] Reached target Local File Systems.\r\n", 6.0, NULL},
    {"[    9.1] cloud-init[301]: Cloud-init v. 22.4.2 running 'init-local' at Tue, 01 Dec 2026 "
     "06:00:09 +0000. Up 9.05 seconds.\r\n", 9.1, "cloud-init-local"},
    {"[   11.2] cloud-init[330]: Cloud-init v. 22.4.2 running 'init' at Tue, 01 Dec 2026 06:00:11 "
     "+0000. Up 11.10 seconds.\r\n", 11.2, "cloud-init-network"},
    {"[   14.0] cloud-init[400]: Cloud-init v. 22.4.2 running 'modules:config' at Tue, 01 Dec "
     "2026 06:00:14 +0000. Up 13.90 seconds.\r\n", 14.0, "cloud-init-config"},
    {"[   15.5] cloud-init[420]: Cloud-init v. 22.4.2 running 'modules:final' at Tue, 01 Dec "
     "2026 06:00:15 +0000. Up 15.40 seconds.\r\n", 15.5, "cloud-init-final"},
    {"[   16.0] cloud-init[420]: Cloud-init v. 22.4.2 finished at Tue, 01 Dec 2026 06:00:16 "
     "+0000. Datasource DataSourceNoCloud [seed=/dev/sr0].  Up 16.00 seconds\r\n", 16.0,
     "cloud-init-finished"},
};

/* Feed the boot in chunks of @chunk bytes (0: random sizes), a line's early chunks half a
 * second before its last: a line is seen when its newline is. */
static AmiVerdictScanner *
feed_boot(guint chunk, GRand *rand)
{
    AmiVerdictOptions o = {.until = AMI_UNTIL_CLOUD_INIT, .user_data = TRUE};
    AmiVerdictScanner *s = ami_verdict_scanner_new(&o, NULL);

    assert_non_null(s);
    for (guint i = 0; i < G_N_ELEMENTS(boot); i++) {
        const char *p = boot[i].line;
        size_t left = strlen(p);

        while (left) {
            size_t n = chunk ? chunk : (size_t)g_rand_int_range(rand, 1, 40);

            n = MIN(n, left);
            ami_verdict_feed(s, p, n, n == left ? boot[i].seconds : boot[i].seconds - 0.5);
            p += n;
            left -= n;
        }
    }
    return s;
}

static void
check_stages(const AmiVerdict *v)
{
    guint n = 0;

    for (guint i = 0; i < G_N_ELEMENTS(boot); i++) {
        if (!boot[i].stage)
            continue;
        assert_true(n < v->n_stages);
        assert_string_equal(v->stages[n].name, boot[i].stage);
        assert_true(v->stages[n].seconds == boot[i].seconds);
        n++;
    }
    assert_int_equal(v->n_stages, n);
}

static void
test_stages_first_seen_whatever_the_chunking(void **state)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(13);

    (void)state;
    for (guint chunk = 0; chunk <= 64; chunk = chunk ? chunk * 2 : 1) {
        for (guint round = 0; round < (chunk ? 1u : 20u); round++) {
            g_autoptr(AmiVerdictScanner) s = feed_boot(chunk, rand);
            const AmiVerdict *v = ami_verdict_get(s);

            assert_int_equal(v->outcome, AMI_OUTCOME_SUCCESS);
            assert_string_equal(v->stage, "cloud-init-finished");
            check_stages(v);
        }
    }
}

/* The last stage seen is still what a timeout names; a stage seen again keeps its first
 * time on the timeline. */
static void
test_stage_seen_again_keeps_its_first_time(void **state)
{
    AmiVerdictOptions o = {0};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    static const char a[] = "[    1.2] Freeing initrd memory: 21520K\n";
    static const char b[] = "[    1.9] Run /init as init process\n";
    static const char c[] = "Begin: Loading, please wait...\n";
    const AmiVerdict *v;

    (void)state;
    ami_verdict_feed(s, a, strlen(a), 1.0);
    ami_verdict_feed(s, b, strlen(b), 2.0);
    ami_verdict_feed(s, c, strlen(c), 3.0);
    assert_int_equal(ami_verdict_deadline(s, 9.0), AMI_OUTCOME_TIMEOUT);
    v = ami_verdict_get(s);
    assert_string_equal(v->stage, "initramfs");
    assert_int_equal(v->n_stages, 2);
    assert_string_equal(v->stages[0].name, "initramfs");
    assert_true(v->stages[0].seconds == 1.0);
    assert_string_equal(v->stages[1].name, "userspace");
    assert_true(v->stages[1].seconds == 2.0);
}

/* A cloud-init mode without a stage of its own is "cloud-init". */
static void
test_other_cloud_init_mode_is_cloud_init(void **state)
{
    AmiVerdictOptions o = {0};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    static const char l[] = "Cloud-init v. 22.4.2 running 'single' at Tue. Up 1 seconds.\n";

    (void)state;
    ami_verdict_feed(s, l, strlen(l), 1.0);
    assert_string_equal(ami_verdict_get(s)->stage, "cloud-init");
    assert_int_equal(ami_verdict_get(s)->n_stages, 1);
}

static void
test_phase_names_both_ways(void **state)
{
    (void)state;
    for (guint i = 0; i < AMI_PHASE_LAST; i++) {
        AmiPhase p = AMI_PHASE_LAST;

        assert_non_null(ami_phase_to_string((AmiPhase)i));
        assert_true(ami_phase_from_string(ami_phase_to_string((AmiPhase)i), &p));
        assert_int_equal(p, i);
    }
    assert_null(ami_phase_to_string(AMI_PHASE_LAST));
    assert_false(ami_phase_from_string("qemu", &(AmiPhase){0}));
    assert_false(ami_phase_from_string(NULL, &(AmiPhase){0}));
}

/* A timeline of a whole run: phases marked out of order, one twice, stages from a scan. */
static AmiTiming *
sample_timing(void)
{
    AmiTiming *t = ami_timing_new("2026-12-02T06:10:00.123Z", 42);
    g_autoptr(AmiVerdictScanner) s = feed_boot(16, NULL);

    ami_timing_mark(t, AMI_PHASE_COMMAND_START, 0);
    ami_timing_mark(t, AMI_PHASE_DISKS, 0.0504);
    ami_timing_mark(t, AMI_PHASE_PLAN, 0.0121);
    ami_timing_mark(t, AMI_PHASE_PLAN, 5.0); /* the first mark stays */
    ami_timing_mark(t, AMI_PHASE_VERDICT, 16.25);
    ami_timing_set_stages(t, ami_verdict_get(s), 0.25);
    return t;
}

static void
test_json_shape(void **state)
{
    g_autoptr(AmiTiming) t = sample_timing();
    g_autoptr(json_t) j = ami_timing_to_json(t);
    g_autoptr(json_t) want = parse_json(
        "{\"Start\": \"2026-12-02T06:10:00.123Z\","
        " \"Phases\": [{\"Name\": \"command-start\", \"Seconds\": 0.0},"
        "  {\"Name\": \"plan\", \"Seconds\": 0.012}, {\"Name\": \"disks\", \"Seconds\": 0.05},"
        "  {\"Name\": \"verdict\", \"Seconds\": 16.25}],"
        " \"Stages\": [{\"Name\": \"firmware\", \"Seconds\": 0.75},"
        "  {\"Name\": \"bootloader\", \"Seconds\": 1.15}, {\"Name\": \"kernel\", \"Seconds\": 1.75},"
        "  {\"Name\": \"initramfs\", \"Seconds\": 2.75}, {\"Name\": \"userspace\", \"Seconds\": 3.15},"
        "  {\"Name\": \"cloud-init-local\", \"Seconds\": 9.35},"
        "  {\"Name\": \"cloud-init-network\", \"Seconds\": 11.45},"
        "  {\"Name\": \"cloud-init-config\", \"Seconds\": 14.25},"
        "  {\"Name\": \"cloud-init-final\", \"Seconds\": 15.75},"
        "  {\"Name\": \"cloud-init-finished\", \"Seconds\": 16.25}]}");

    (void)state;
    if (!json_equal(j, want)) {
        g_autofree char *got = json_dumps(j, JSON_SORT_KEYS);

        fail_msg("AmiRun.Timing: %s", got);
    }
    assert_int_equal(ami_timing_origin(t), 42);
    assert_true(ami_timing_has(t, AMI_PHASE_PLAN));
    assert_false(ami_timing_has(t, AMI_PHASE_TEARDOWN));
}

/* The supervisor goes on from the record: what it has is kept, another run's is not. */
static void
test_json_round_trip_and_merge(void **state)
{
    g_autoptr(AmiTiming) t = sample_timing();
    g_autoptr(json_t) j = ami_timing_to_json(t);
    g_autoptr(AmiTiming) back = ami_timing_from_json(j, 7);
    g_autoptr(json_t) again = NULL;
    g_autoptr(AmiTiming) other = ami_timing_new("2026-12-02T07:00:00.000Z", 0);
    g_autoptr(json_t) other_json = NULL;

    (void)state;
    assert_non_null(back);
    again = ami_timing_to_json(back);
    assert_true(json_equal(j, again));
    assert_string_equal(ami_timing_start(back), "2026-12-02T06:10:00.123Z");
    ami_timing_mark(back, AMI_PHASE_TEARDOWN, 17.0);
    ami_timing_merge_json(back, j); /* teardown stays, nothing else changes */
    assert_true(ami_timing_has(back, AMI_PHASE_TEARDOWN));
    ami_timing_merge_json(other, j); /* another Start: not this run's */
    other_json = ami_timing_to_json(other);
    assert_int_equal(json_array_size(json_object_get(other_json, "Phases")), 0);
    assert_int_equal(json_array_size(json_object_get(other_json, "Stages")), 0);
    assert_null(ami_timing_from_json(json_object_get(j, "Phases"), 0));
}

static void
test_format_aligned_by_time(void **state)
{
    g_autoptr(json_t) j = parse_json(
        "{\"Start\": \"x\", \"Phases\": [{\"Name\": \"command-start\", \"Seconds\": 0},"
        " {\"Name\": \"running\", \"Seconds\": 0.5}, {\"Name\": \"verdict\", \"Seconds\": 3.25},"
        " {\"Name\": 7}, {\"Name\": \"no-seconds\"}],"
        " \"Stages\": [{\"Name\": \"firmware\", \"Seconds\": 0.5},"
        " {\"Name\": \"kernel\", \"Seconds\": 1.0}]}");
    g_autofree char *text = ami_timing_format(j);

    (void)state;
    assert_string_equal(text, "  phase  command-start    0.000 s\n"
                              "  phase  running          0.500 s  +0.500 s\n"
                              "  stage  firmware         0.500 s  +0.000 s\n"
                              "  stage  kernel           1.000 s  +0.500 s\n"
                              "  phase  verdict          3.250 s  +2.250 s\n");
    g_free(g_steal_pointer(&text));
    text = ami_timing_format(NULL);
    assert_string_equal(text, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stages_first_seen_whatever_the_chunking),
        cmocka_unit_test(test_stage_seen_again_keeps_its_first_time),
        cmocka_unit_test(test_other_cloud_init_mode_is_cloud_init),
        cmocka_unit_test(test_phase_names_both_ways),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_json_round_trip_and_merge),
        cmocka_unit_test(test_format_aligned_by_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
