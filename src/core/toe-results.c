/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest side of AWSTOE documents: the user data that carries the runner and the
 * step program, and the runner's console frames read back into AmiRun.Components by
 * AWSTOE's status rules (image-builder-looping-constructs, "Step fields"): Abort and
 * Continue leave the phase and the document Failed, Ignore leaves them
 * SuccessWithIgnoredFailure, a step skipped by `if` counts as a success.
 */
#include <gio/gio.h>
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/seed.h"
#include "ami-run/toe.h"
#include "toe-priv.h"

extern const char ami_toe_runner_sh[];

const char *
ami_toe_runner_script(void)
{
    return ami_toe_runner_sh;
}

/* gzip, then base64 in lines of 76 (the stub's `base64 -d` reads them). */
static char *
gzip_base64(const char *text)
{
    g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
    g_autoptr(GInputStream) mem = g_memory_input_stream_new_from_data(text, (gssize)strlen(text),
                                                                      NULL);
    g_autoptr(GInputStream) conv = g_converter_input_stream_new(mem, G_CONVERTER(z));
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GString) wrapped = g_string_new(NULL);
    g_autofree char *b64 = NULL;
    guint8 buf[4096];
    gssize n;

    while ((n = g_input_stream_read(conv, buf, sizeof(buf), NULL, NULL)) > 0)
        g_byte_array_append(out, buf, (guint)n);
    b64 = g_base64_encode(out->data, out->len);
    for (size_t i = 0, len = strlen(b64); i < len; i += 76) {
        g_string_append_len(wrapped, b64 + i, (gssize)MIN(76, len - i));
        g_string_append_c(wrapped, '\n');
    }
    return g_string_free(g_steal_pointer(&wrapped), FALSE);
}

GBytes *
ami_toe_user_data(const AmiToeRun *r, const char *execution_id, GError **error)
{
    g_autofree char *program = ami_toe_run_program(r, execution_id);
    g_autofree char *runner = gzip_base64(ami_toe_runner_sh);
    g_autofree char *prog = gzip_base64(program);
    /* The stub unpacks both next to each other and runs the runner; `exec` keeps the
     * shell from reading the data below as commands. */
    char *ud = g_strdup_printf(
        "#!/bin/sh\n"
        "# ami-run: AWSTOE component documents (docs/components.md); the runner and the\n"
        "# step program follow, gzip'd and base64-encoded.\n"
        "d=/run/ami-run-toe\n"
        "mkdir -p $d 2>/dev/null || { d=/tmp/ami-run-toe; mkdir -p $d; }\n"
        "sed -n '/^#R$/,/^#P$/p' \"$0\" | sed '1d;$d' | base64 -d | gunzip -c >$d/runner.sh\n"
        "sed -n '/^#P$/,$p' \"$0\" | sed 1d | base64 -d | gunzip -c >$d/program\n"
        "exec sh $d/runner.sh $d/program\n"
        "#R\n%s#P\n%s", runner, prog);
    gsize len = strlen(ud);

    if (len > AMI_USER_DATA_MAX) {
        g_free(ud);
        ami_error_invalid(error, "the component documents make %zu bytes of user data, more than "
                          "EC2's %d: run fewer or smaller documents at a time", len, AMI_USER_DATA_MAX);
        return NULL;
    }
    return g_bytes_new_take(ud, len);
}

/* --- frames ------------------------------------------------------------------------- */

typedef struct {
    json_t **frames; /* by step n - 1: its last frame */
    gboolean started, finished;
    json_int_t abort;
} Seen;

static char *
b64_text(const char *b64, gboolean trim_newline)
{
    gsize len = 0;
    g_autofree guchar *raw = NULL;
    char *text;

    if (!b64 || !*b64)
        return g_strdup("");
    raw = g_base64_decode(b64, &len);
    text = g_utf8_make_valid((const char *)raw, (gssize)len);
    if (trim_newline && *text && text[strlen(text) - 1] == '\n')
        text[strlen(text) - 1] = '\0';
    return text;
}

static void
take_frame(Seen *s, guint steps, const char *execution_id, json_t *f)
{
    const char *t = json_string_value(json_object_get(f, "t"));
    const char *x = json_string_value(json_object_get(f, "x"));
    json_int_t n = json_integer_value(json_object_get(f, "n"));

    if (!t)
        return;
    if (strcmp(t, "start") == 0 || strcmp(t, "resume") == 0) {
        s->started = g_strcmp0(x, execution_id) == 0;
        return;
    }
    if (!s->started)
        return;
    if (strcmp(t, "end") == 0 && g_strcmp0(x, execution_id) == 0) {
        s->finished = TRUE;
        s->abort = json_integer_value(json_object_get(f, "abort"));
    } else if (strcmp(t, "step") == 0 && n >= 1 && (guint64)n <= steps &&
               json_is_string(json_object_get(f, "s"))) {
        json_decref(s->frames[n - 1]);
        s->frames[n - 1] = json_incref(f);
    }
}

static void
scan(Seen *s, guint steps, const char *execution_id, const char *console, gsize len)
{
    const char *end = console + len, *p = console;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *hit = g_strstr_len(p, line_end - p, AMI_TOE_FRAME_PREFIX);

        if (hit) {
            const char *j = hit + strlen(AMI_TOE_FRAME_PREFIX);
            const char *e = line_end;
            json_t *f;

            while (e > j && (e[-1] == '\r' || e[-1] == ' '))
                e--;
            if ((f = json_loadb(j, (size_t)(e - j), 0, NULL)) && json_is_object(f))
                take_frame(s, steps, execution_id, f);
            json_decref(f);
        }
        p = line_end + 1;
    }
}

static const char *
step_status(const char *runner_status)
{
    if (strcmp(runner_status, "Success") == 0)
        return "Success";
    if (strcmp(runner_status, "IgnoredFailure") == 0)
        return "Ignored";
    if (strcmp(runner_status, "Skipped") == 0)
        return "Skipped";
    return "Failed";
}

static json_t *
step_json(const AmiToeRun *r, const Seen *s, const ToeStep *st)
{
    json_t *f = s->frames[st->n - 1];
    json_t *out = json_pack("{s:s, s:s}", "Name", st->name, "Action", st->action);
    json_t *outputs, *v;
    const char *k;

    if (!f) {
        const ToeStep *ab = s->abort > 0 && (guint64)s->abort <= r->steps->len
                                ? r->steps->pdata[s->abort - 1] : NULL;
        g_autofree char *why = NULL;

        if (ab && st->n > ab->n)
            why = g_strdup_printf("not run: step '%s' failed and its onFailure is Abort", ab->name);
        json_object_set_new(out, "Status", json_string(ab && st->n > ab->n ? "Skipped" : "Failed"));
        json_object_set_new(out, "FailureMessage", json_string(
            why ? why : s->finished ? "its result frame was not seen on the console"
                                    : "did not finish: the run ended before this step reported"));
        return out;
    }
    json_object_set_new(out, "Status", json_string(step_status(json_string_value(json_object_get(f, "s")))));
    json_object_set_new(out, "ExitCode", json_integer(json_integer_value(json_object_get(f, "x"))));
    json_object_set_new(out, "Attempts", json_integer(json_integer_value(json_object_get(f, "a"))));
    json_object_set_new(out, "Seconds", json_real((double)json_integer_value(json_object_get(f, "ms")) / 1000.0));
    if (json_integer_value(json_object_get(f, "r")) > 0)
        json_object_set_new(out, "Reboots", json_integer(json_integer_value(json_object_get(f, "r"))));
    if (strcmp(json_string_value(json_object_get(out, "Status")), "Success") != 0 &&
        strcmp(json_string_value(json_object_get(out, "Status")), "Skipped") != 0) {
        g_autofree char *m = b64_text(json_string_value(json_object_get(f, "m")), FALSE);

        json_object_set_new(out, "FailureMessage", json_string(*m ? m : "failed"));
    }
    outputs = json_object();
    json_object_foreach(json_object_get(f, "o"), k, v) {
        g_autofree char *text = b64_text(json_string_value(v), TRUE);
        g_autofree char *key = g_utf8_make_valid(k, -1);

        json_object_set_new(outputs, key, json_string(text));
    }
    if (json_object_size(outputs))
        json_object_set_new(out, "Outputs", outputs);
    else
        json_decref(outputs);
    return out;
}

/* Failed over SuccessWithIgnoredFailure over Success, AWSTOE's order. */
static const char *
worse(const char *a, const char *step)
{
    if (strcmp(a, "Failed") == 0 || strcmp(step, "Failed") == 0)
        return "Failed";
    if (strcmp(a, "SuccessWithIgnoredFailure") == 0 || strcmp(step, "Ignored") == 0 ||
        strcmp(step, "SuccessWithIgnoredFailure") == 0)
        return "SuccessWithIgnoredFailure";
    return "Success";
}

json_t *
ami_toe_results(const AmiToeRun *r, const char *execution_id, const char *console, gsize len,
                gboolean *ret_finished, char **ret_failure)
{
    Seen s = {.frames = g_new0(json_t *, r->steps->len + 1)};
    json_t *out = json_array();
    char *failure = NULL;

    scan(&s, r->steps->len, execution_id, console, len);
    for (guint d = 0; d < r->docs->len; d++) {
        const ToeDoc *doc = r->docs->pdata[d];
        const char *dstatus = "Success";
        json_t *phases = json_array();

        for (char **ph = doc->phases; *ph; ph++) {
            const char *pstatus = "Success";
            json_t *steps = json_array();

            for (guint i = 0; i < r->steps->len; i++) {
                const ToeStep *st = r->steps->pdata[i];
                json_t *sj;
                const char *ss;

                if (st->doc != d || strcmp(st->phase, *ph) != 0)
                    continue;
                sj = step_json(r, &s, st);
                ss = json_string_value(json_object_get(sj, "Status"));
                pstatus = worse(pstatus, ss);
                if (!failure && strcmp(ss, "Failed") == 0)
                    failure = g_strdup_printf("document '%s' phase '%s' step '%s': %s", doc->name,
                                              *ph, st->name,
                                              json_string_value(json_object_get(sj, "FailureMessage")));
                json_array_append_new(steps, sj);
            }
            dstatus = worse(dstatus, pstatus);
            json_array_append_new(phases, json_pack("{s:s, s:s, s:o}", "Name", *ph, "Status",
                                                    pstatus, "Steps", steps));
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:o}", "Name", doc->name, "File",
                                             doc->file, "Status", dstatus, "Phases", phases));
    }
    for (guint i = 0; i < r->steps->len; i++)
        json_decref(s.frames[i]);
    g_free(s.frames);
    if (ret_finished)
        *ret_finished = s.finished;
    if (ret_failure)
        *ret_failure = failure;
    else
        g_free(failure);
    return out;
}
