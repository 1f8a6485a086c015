/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/toe.c and core/toe-results.c: schema errors name FILE:LINE:COL; parameters,
 * constants, chaining and loops compile into the program; console frames become
 * AmiRun.Components by AWSTOE's status rules; and the runner itself, run here by the
 * host's sh (and busybox's when present), gives those rules step by step.
 */
#include <string.h>

#include <gio/gio.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/toe.h"
#include "test-util.h"

static const char *const all_phases[] = {"build", "validate", "test", NULL};

static AmiToeRun *
compile(const char *yaml, const char *const *phases, GError **error)
{
    AmiToeRun *r = ami_toe_run_new(phases);

    if (!ami_toe_run_add_document(r, "doc.yaml", yaml, strlen(yaml), error)) {
        ami_toe_run_free(r);
        return NULL;
    }
    return r;
}

static void
check_error(const char *yaml, const char *want)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiToeRun) r = compile(yaml, NULL, &error);

    if (r)
        fail_msg("accepted, wanted '%s':\n%s", want, yaml);
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    if (!strstr(error->message, want))
        fail_msg("error '%s', wanted '%s'", error->message, want);
    assert_null(strchr(error->message, '\n'));
}

#define HEAD "schemaVersion: 1.0\nphases:\n  - name: validate\n    steps:\n"

static void
test_toe_errors_name_file_line_and_column(void **state G_GNUC_UNUSED)
{
    check_error("schemaVersion: [1\n", "doc.yaml:2:1: ");
    check_error("phases: []\n", "doc.yaml:1:1: schemaVersion is required");
    check_error("schemaVersion: 2.0\nphases: []\n", "doc.yaml:1:16: schemaVersion must be 1.0");
    check_error("schemaVersion: 1.0\nnmae: x\nphases: []\n", "doc.yaml:2:1: document: unknown key 'nmae'");
    check_error(HEAD "      - name: a\n        action: ExecuteBsh\n        inputs: {commands: [x]}\n",
                "doc.yaml:6:17: unknown action 'ExecuteBsh'");
    check_error(HEAD "      - name: a\n        action: Reboot\n        inputs: {}\n",
                "doc.yaml:6:17: action 'Reboot' is not supported by ami-run");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        inputs: {}\n",
                "doc.yaml:7:17: ExecuteBash needs input 'commands'");
    check_error(HEAD "      - name: a\n        action: CreateFile\n        inputs:\n          - content: x\n",
                "doc.yaml:8:13: CreateFile needs input 'path'");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        onFailure: Stop\n"
                "        inputs: {commands: [x]}\n",
                "doc.yaml:7:20: onFailure must be Abort, Continue or Ignore");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        timeoutSeconds: 0\n"
                "        inputs: {commands: [x]}\n", "doc.yaml:7:25: timeoutSeconds must be -1");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        loop:\n"
                "          for: {start: 1, end: 5, updateBy: -1}\n        inputs: {commands: [x]}\n",
                "doc.yaml:8:45: updateBy -1 never goes from 1 to 5");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        loop:\n"
                "          for: {start: 1, end: 5}\n        inputs: {commands: [x]}\n",
                "doc.yaml:8:16: for needs start, end and updateBy");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        inputs:\n"
                "          commands: ['echo {{ Nope }}']\n",
                "doc.yaml:8:22: '{{ Nope }}': no parameter or constant of that name");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        inputs:\n"
                "          commands: ['echo {{ validate.b.outputs.stdout }}']\n"
                "      - name: b\n        action: ExecuteBash\n        inputs: {commands: [x]}\n",
                "doc.yaml:8:22: '{{ validate.b.outputs.stdout }}': no step 'validate.b' before this one");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        inputs:\n"
                "          commands: ['echo {{ loop.value }}']\n",
                "doc.yaml:8:22: '{{ loop.value }}' outside a loop");
    check_error(HEAD "      - name: a\n        action: ExecuteBash\n        inputs: {commands: [x]}\n"
                "      - name: a\n        action: ExecuteBash\n        inputs: {commands: [x]}\n",
                "doc.yaml:8:15: step 'a' is named twice in phase 'validate'");
    check_error(HEAD "      - name: a\n        action: Assert\n        inputs: {stringEquals: x}\n",
                "doc.yaml:7:18: 'stringEquals' needs a value");
    check_error(HEAD "      - name: a\n        action: Assert\n        inputs:\n          and:\n"
                "            - not: {not: {not: {not: {stringIsEmpty: x}}}}\n",
                "logical operators nest at most 4 levels");
    check_error("schemaVersion: 1.0\nparameters:\n  - ab: {type: string}\nphases: []\n",
                "doc.yaml:3:5: a name of parameters must be 3-128");
    check_error("schemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: a\n"
                "        action: ExecuteBash\n        inputs: {commands: [x]}\n",
                "doc.yaml: --phases 'validate,test' names no phase of this document");
}

static char *
decoded(const char *program, const char *record)
{
    const char *p = strstr(program, record);
    g_autofree char *b64 = NULL;
    gsize len = 0;
    g_autofree guchar *raw = NULL;

    if (!p)
        fail_msg("no record '%s' in:\n%s", record, program);
    p += strlen(record);
    b64 = g_strndup(p, strcspn(p, "\n"));
    raw = g_base64_decode(b64, &len);
    return g_strndup((const char *)raw, len);
}

static void
test_toe_parameters_constants_and_chaining_resolve(void **state G_GNUC_UNUSED)
{
    static const char yaml[] =
        "schemaVersion: 1.0\nparameters:\n  - Who:\n      type: string\n      default: world\n"
        "  - Empty:\n      type: string\nconstants:\n  - Dir:\n      type: string\n      value: /opt/x\n"
        "phases:\n  - name: build\n    steps:\n      - name: b\n        action: ExecuteBash\n"
        "        inputs: {commands: [x]}\n"
        "  - name: validate\n    steps:\n      - name: Make\n        action: CreateFile\n"
        "        inputs:\n          - path: '{{ Dir }}/f'\n            overwrite: false\n"
        "      - name: Say\n        action: ExecuteBash\n        inputs:\n"
        "          commands:\n            - 'echo hello {{Who}}[{{ Empty }}]'\n"
        "            - 'cat {{ validate.Make.inputs[0].path }}'\n"
        "      - name: Use\n        action: ExecuteBinary\n        inputs:\n"
        "          path: /bin/echo\n          arguments: ['{{ validate.Say.outputs.stdout }}']\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiToeRun) r = compile(yaml, NULL, &error);
    g_autofree char *prog = NULL, *cmds = NULL, *path = NULL, *arg = NULL;

    if (!r)
        fail_msg("%s", error->message);
    assert_int_equal(ami_toe_run_step_count(r), 3); /* build is not run */
    prog = ami_toe_run_program(r, "i-0123");
    assert_non_null(strstr(prog, "0 x i-0123\n0 n 3\n1 a CreateFile\n1 f Abort\n1 m 1\n1 t 7200\n"));
    path = decoded(prog, "1 k.0.path ");
    assert_string_equal(path, "/opt/x/f");
    assert_non_null(strstr(prog, "1 k.0.overwrite false\n"));
    cmds = decoded(prog, "2 commands ");
    assert_string_equal(cmds, "echo hello world[]\ncat /opt/x/f\n");
    arg = decoded(prog, "3 A ");
    assert_string_equal(arg, "{{@o2.stdout}}");
}

static void
test_toe_loops_and_conditions_compile(void **state G_GNUC_UNUSED)
{
    static const char yaml[] = HEAD
        "      - name: For\n        action: ExecuteBash\n        maxAttempts: 3\n        timeoutSeconds: -1\n"
        "        loop:\n          name: L\n          for: {start: 10, end: 0, updateBy: -5}\n"
        "        inputs: {commands: ['echo {{ L.index }} {{ loop.value }}']}\n"
        "      - name: Each\n        action: ExecuteBash\n        onFailure: Ignore\n"
        "        loop:\n          forEach: [a, 'b c']\n"
        "        if:\n          and:\n            - binaryExists: sh\n            - not: {stringIsEmpty: x}\n"
        "          then: Execute\n          else: Abort\n"
        "        inputs: {commands: ['echo {{ loop.value }}']}\n"
        "      - name: Split\n        action: ExecuteBash\n"
        "        loop:\n          forEach: {list: 'a;b', delimiter: ';'}\n"
        "        inputs: {commands: ['echo {{ loop.value }}']}\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiToeRun) r = compile(yaml, NULL, &error);
    g_autofree char *prog = NULL, *cmds = NULL, *v = NULL, *list = NULL;

    if (!r)
        fail_msg("%s", error->message);
    prog = ami_toe_run_program(r, "x");
    assert_non_null(strstr(prog, "1 m 3\n1 t -1\n1 l for 10 0 -5\n"));
    cmds = decoded(prog, "1 commands ");
    assert_string_equal(cmds, "echo {{@li}} {{@lv}}\n");
    assert_non_null(strstr(prog, "2 f Ignore\n"));
    assert_non_null(strstr(prog, "2 l each\n2 v YQ==\n2 v YiBj\n"));
    assert_non_null(strstr(prog, "e1 binaryExists c2g= -\ne2 stringIsEmpty eA== -\ne3 not 2\ne4 and 1 3\n"));
    assert_non_null(strstr(prog, "2 i 4 Execute Abort\n"));
    assert_non_null(strstr(prog, "3 l split\n"));
    list = decoded(prog, "3 L ");
    assert_string_equal(list, "a;b");
    v = decoded(prog, "3 D ");
    assert_string_equal(v, ";");
}

static void
test_toe_phases_select_in_document_order(void **state G_GNUC_UNUSED)
{
    static const char yaml[] = "schemaVersion: 1.0\nphases:\n"
        "  - name: test\n    steps:\n      - name: t\n        action: ExecuteBash\n        inputs: {commands: [x]}\n"
        "  - name: build\n    steps:\n      - name: b\n        action: ExecuteBash\n        inputs: {commands: [x]}\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiToeRun) r = compile(yaml, all_phases, &error);
    g_autoptr(json_t) res = NULL;

    assert_non_null(r);
    res = ami_toe_results(r, "x", "", 0, NULL, NULL);
    /* Document order, not the order of --phases (toe-use-documents.md). */
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
        json_array_get(res, 0), "Phases"), 0), "Name")), "test");
}

/* A frame as the runner writes it. */
static void
frame(GString *c, guint n, const char *status, int code, const char *msg, const char *stdout_)
{
    g_autofree char *m = g_base64_encode((const guchar *)msg, strlen(msg));
    g_autofree char *o = stdout_ ? g_base64_encode((const guchar *)stdout_, strlen(stdout_)) : NULL;

    g_string_append_printf(c, "AMI-RUN-TOE {\"t\":\"step\",\"n\":%u,\"s\":\"%s\",\"x\":%d,\"a\":1,"
                           "\"r\":0,\"ms\":1500,\"m\":\"%s\",\"o\":{%s%s%s}}\r\n", n, status, code,
                           m, o ? "\"stdout\":\"" : "", o ? o : "", o ? "\"" : "");
}

static const char five_steps[] = HEAD
    "      - name: s1\n        action: ExecuteBash\n        inputs: {commands: [x]}\n"
    "      - name: s2\n        action: ExecuteBash\n        onFailure: Ignore\n        inputs: {commands: [x]}\n"
    "      - name: s3\n        action: ExecuteBash\n        inputs: {commands: [x]}\n"
    "      - name: s4\n        action: ExecuteBash\n        onFailure: Continue\n        inputs: {commands: [x]}\n"
    "  - name: test\n    steps:\n"
    "      - name: s5\n        action: ExecuteBash\n        inputs: {commands: [x]}\n";

static const char *
status_at(json_t *res, guint phase, guint step)
{
    json_t *ph = json_array_get(json_object_get(json_array_get(res, 0), "Phases"), phase);

    if (step == G_MAXUINT)
        return json_string_value(json_object_get(ph, "Status"));
    return json_string_value(json_object_get(json_array_get(json_object_get(ph, "Steps"), step),
                                             "Status"));
}

static void
test_toe_frames_give_awstoe_statuses(void **state G_GNUC_UNUSED)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiToeRun) r = compile(five_steps, NULL, &error);
    g_autoptr(GString) c = g_string_new("noise AMI-RUN-TOE {\"t\":\"step\",\"n\":1,\"s\":\"Failed\"}\n");
    g_autoptr(json_t) res = NULL;
    g_autofree char *failure = NULL;
    gboolean finished = FALSE;
    json_t *s1;

    assert_non_null(r);
    /* Frames of another execution, a broken frame, then this one's. */
    g_string_append(c, "AMI-RUN-TOE {\"t\":\"start\",\"x\":\"i-old\",\"steps\":5}\n");
    frame(c, 1, "Failed", 1, "old", NULL);
    g_string_append(c, "AMI-RUN-TOE {\"t\":\"start\",\"x\":\"i-1\",\"steps\":5}\nAMI-RUN-TOE {\"t\":\n");
    frame(c, 1, "Success", 0, "", "hi\n");
    frame(c, 2, "IgnoredFailure", 4, "exit code 4", NULL);
    frame(c, 3, "Success", 0, "", NULL);
    frame(c, 4, "Failed", 3, "exit code 3", NULL);
    g_string_append(c, "[   12.5] kernel: AMI-RUN-TOE {\"t\":\"end\",\"x\":\"i-1\"}\n");
    res = ami_toe_results(r, "i-1", c->str, c->len, &finished, &failure);
    assert_true(finished);
    s1 = json_array_get(json_object_get(json_array_get(json_object_get(json_array_get(res, 0),
                                                                       "Phases"), 0), "Steps"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(s1, "Outputs"), "stdout")), "hi");
    assert_true(json_real_value(json_object_get(s1, "Seconds")) == 1.5);
    assert_string_equal(status_at(res, 0, 0), "Success");
    assert_string_equal(status_at(res, 0, 1), "Ignored");
    assert_string_equal(status_at(res, 0, 3), "Failed");
    /* Continue: the next step ran, the phase and document are Failed. */
    assert_string_equal(status_at(res, 0, G_MAXUINT), "Failed");
    /* A step the end frame passed without a frame: lost, and Failed. */
    assert_string_equal(status_at(res, 1, 0), "Failed");
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "Status")), "Failed");
    assert_string_equal(failure, "document 'doc.yaml' phase 'validate' step 's4': exit code 3");
}

static void
test_toe_abort_skips_the_rest_and_ignore_still_succeeds(void **state G_GNUC_UNUSED)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiToeRun) r = compile(five_steps, NULL, &error);
    g_autoptr(GString) c = g_string_new("AMI-RUN-TOE {\"t\":\"start\",\"x\":\"i-1\",\"steps\":5}\n");
    g_autoptr(GString) ok = NULL;
    g_autoptr(json_t) res = NULL, res2 = NULL, res3 = NULL;
    g_autofree char *failure = NULL, *failure2 = NULL;
    gboolean finished = TRUE;

    assert_non_null(r);
    frame(c, 1, "Success", 0, "", NULL);
    frame(c, 2, "Success", 0, "", NULL);
    ok = g_string_new(c->str);
    frame(c, 3, "Failed", 1, "boom", NULL);
    g_string_append(c, "AMI-RUN-TOE {\"t\":\"end\",\"x\":\"i-1\",\"abort\":3}\n");
    res = ami_toe_results(r, "i-1", c->str, c->len, NULL, &failure);
    assert_string_equal(status_at(res, 0, 2), "Failed");
    assert_string_equal(status_at(res, 0, 3), "Skipped");
    assert_string_equal(status_at(res, 1, 0), "Skipped");
    assert_string_equal(failure, "document 'doc.yaml' phase 'validate' step 's3': boom");

    /* Ignore and a skipped step: SuccessWithIgnoredFailure, a success. */
    g_string_truncate(ok, 0);
    g_string_append(ok, "AMI-RUN-TOE {\"t\":\"resume\",\"x\":\"i-1\",\"n\":1,\"r\":1}\n");
    frame(ok, 1, "Success", 0, "", NULL);
    frame(ok, 2, "IgnoredFailure", 9, "x", NULL);
    frame(ok, 3, "Skipped", 0, "", NULL);
    frame(ok, 4, "Success", 0, "", NULL);
    frame(ok, 5, "Success", 0, "", NULL);
    g_string_append(ok, "AMI-RUN-TOE {\"t\":\"end\",\"x\":\"i-1\"}\n");
    res2 = ami_toe_results(r, "i-1", ok->str, ok->len, &finished, &failure2);
    assert_null(failure2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(res2, 0), "Status")),
                        "SuccessWithIgnoredFailure");
    assert_string_equal(status_at(res2, 1, G_MAXUINT), "Success");

    /* No end frame (the guest died): unreported steps did not finish. */
    res3 = ami_toe_results(r, "i-1", ok->str, 40, &finished, NULL);
    assert_false(finished);
    assert_string_equal(status_at(res3, 0, 0), "Failed");
}

static void
test_toe_user_data_is_a_script_within_16k(void **state G_GNUC_UNUSED)
{
    g_autoptr(GString) big = g_string_new(HEAD);
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiToeRun) r = compile(five_steps, NULL, &error);
    g_autoptr(AmiToeRun) r2 = NULL;
    g_autoptr(GBytes) ud = NULL, ud2 = NULL;
    const char *text;

    assert_non_null(r);
    ud = ami_toe_user_data(r, "i-1", &error);
    assert_non_null(ud);
    text = g_bytes_get_data(ud, NULL);
    assert_true(g_str_has_prefix(text, "#!/bin/sh\n"));
    assert_non_null(strstr(text, "\nexec sh $d/runner.sh $d/program\n#R\n"));
    assert_non_null(strstr(text, "\n#P\n"));
    /* Random-looking step names do not compress: past 16 KB it is refused, saying why. */
    for (guint i = 0; i < 600; i++)
        g_string_append_printf(big, "      - name: s%u-%08x\n        action: ExecuteBash\n"
                               "        inputs: {commands: ['echo %08x%08x']}\n", i,
                               g_str_hash(big->str), i * 2654435761u, g_str_hash(big->str) ^ i);
    r2 = compile(big->str, NULL, &error);
    assert_non_null(r2);
    ud2 = ami_toe_user_data(r2, "i-1", &error);
    assert_null(ud2);
    assert_non_null(strstr(error->message, "more than EC2's 16384"));
}

/* --- the runner, on this host's shells ------------------------------------------- */

static char *
run_runner(const char *shell, const char *program, const char *dir)
{
    g_autofree char *prog_path = g_build_filename(dir, "program", NULL);
    g_autofree char *runner_path = g_build_filename(dir, "runner.sh", NULL);
    g_autofree char *state = g_build_filename(dir, "state", NULL);
    g_autofree char *out = NULL;
    g_auto(GStrv) env = g_get_environ();
    g_auto(GStrv) argv = NULL;
    g_autofree char *cmd = g_strdup_printf("%s %s %s", shell, runner_path, prog_path);
    g_autoptr(GError) error = NULL;
    int status = 0;

    g_assert_true(g_file_set_contents(prog_path, program, -1, NULL));
    g_assert_true(g_file_set_contents(runner_path, ami_toe_runner_script(), -1, NULL));
    env = g_environ_setenv(env, "AMI_RUN_TOE_STDOUT", "1", TRUE);
    env = g_environ_setenv(env, "AMI_RUN_TOE_STATE", state, TRUE);
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    if (!g_spawn_sync(dir, argv, env, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                      &out, NULL, &status, &error))
        fail_msg("%s: %s", shell, error->message);
    return g_steal_pointer(&out);
}

static void
test_toe_runner_follows_awstoe_rules_step_by_step(void **state G_GNUC_UNUSED)
{
    g_autofree char *yaml = NULL, *prog = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiToeRun) r = NULL;
    const char *shells[] = {"sh", "busybox sh", "bash", NULL};
    g_autofree char *path = g_build_filename(AMI_RUN_TEST_DATA, "toe", "runner.yaml", NULL);
    gsize len;

    g_assert_true(g_file_get_contents(path, &yaml, &len, NULL));
    r = ami_toe_run_new(NULL);
    if (!ami_toe_run_add_document(r, "runner.yaml", yaml, len, &error))
        fail_msg("%s", error->message);
    prog = ami_toe_run_program(r, "i-host");
    for (const char **sh = shells; *sh; sh++) {
        g_autofree char *first = g_strndup(*sh, strcspn(*sh, " "));
        g_autofree char *found = g_find_program_in_path(first);
        g_autofree char *dir = NULL, *out = NULL;
        g_autoptr(json_t) res = NULL;
        g_autofree char *failure = NULL;
        gboolean finished = FALSE;
        json_t *steps;
        static const char *const want[][3] = {
            {"Echo", "Success", NULL}, {"Retry", "Success", NULL},
            {"LoopFails", "Ignored", "loop iteration 1 failed: exit code 1"},
            {"Slow", "Failed", "timed out after 1 s"}, {"Skip", "Skipped", NULL},
            {"Chain", "Success", NULL}, {"Abort", "Failed", "assertion is false"},
            {"After", "Skipped", "not run: step 'Abort' failed and its onFailure is Abort"}};

        if (!found)
            continue;
        dir = g_dir_make_tmp("test-toe-XXXXXX", NULL);
        out = run_runner(*sh, prog, dir);
        res = ami_toe_results(r, "i-host", out, strlen(out), &finished, &failure);
        if (!finished)
            fail_msg("%s: no end frame in:\n%s", *sh, out);
        steps = json_object_get(json_array_get(json_object_get(json_array_get(res, 0), "Phases"), 0),
                                "Steps");
        for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
            json_t *s = json_array_get(steps, i);
            const char *msg = json_string_value(json_object_get(s, "FailureMessage"));

            assert_string_equal(json_string_value(json_object_get(s, "Name")), want[i][0]);
            if (strcmp(json_string_value(json_object_get(s, "Status")), want[i][1]) != 0 ||
                (want[i][2] && (!msg || !strstr(msg, want[i][2]))))
                fail_msg("%s: step %s: %s (%s), want %s (%s)", *sh, want[i][0],
                         json_string_value(json_object_get(s, "Status")), msg, want[i][1],
                         want[i][2] ? want[i][2] : "-");
        }
        assert_int_equal(json_integer_value(json_object_get(json_array_get(steps, 1), "Attempts")), 3);
        assert_string_equal(json_string_value(json_object_get(json_object_get(
            json_array_get(steps, 0), "Outputs"), "stdout")), "a 0 x\nb 1 x");
        assert_string_equal(json_string_value(json_object_get(json_object_get(
            json_array_get(steps, 5), "Outputs"), "stdout")), "got a 0 x|b 1 x");
        assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "Status")), "Failed");
        assert_non_null(strstr(failure, "step 'Slow'"));
        {
            g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
            assert_int_equal(system(rm), 0);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toe_errors_name_file_line_and_column),
        cmocka_unit_test(test_toe_parameters_constants_and_chaining_resolve),
        cmocka_unit_test(test_toe_loops_and_conditions_compile),
        cmocka_unit_test(test_toe_phases_select_in_document_order),
        cmocka_unit_test(test_toe_frames_give_awstoe_statuses),
        cmocka_unit_test(test_toe_abort_skips_the_rest_and_ignore_still_succeeds),
        cmocka_unit_test(test_toe_user_data_is_a_script_within_16k),
        cmocka_unit_test(test_toe_runner_follows_awstoe_rules_step_by_step),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
