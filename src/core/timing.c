/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <string.h>

#include "ami-run/timing.h"

static const char *const phase_names[] = {
    "command-start", "plan", "disks", "libvirt-start", "qemu-exec", "running",
    "first-console-byte", "verdict", "teardown",
};
G_STATIC_ASSERT(G_N_ELEMENTS(phase_names) == AMI_PHASE_LAST);

struct AmiTiming {
    char *start;
    gint64 origin;
    double phase[AMI_PHASE_LAST];
    gboolean marked[AMI_PHASE_LAST];
    char *stage_name[AMI_VERDICT_MAX_STAGES];
    double stage_seconds[AMI_VERDICT_MAX_STAGES];
    guint n_stages;
};

static void
clear_stages(AmiTiming *t)
{
    for (guint i = 0; i < t->n_stages; i++)
        g_clear_pointer(&t->stage_name[i], g_free);
    t->n_stages = 0;
}

static void
add_stage(AmiTiming *t, const char *name, double seconds)
{
    if (t->n_stages == AMI_VERDICT_MAX_STAGES)
        return;
    t->stage_name[t->n_stages] = g_strdup(name);
    t->stage_seconds[t->n_stages++] = seconds > 0 && isfinite(seconds) ? seconds : 0;
}

const char *
ami_phase_to_string(AmiPhase p)
{
    return p < AMI_PHASE_LAST ? phase_names[p] : NULL;
}

gboolean
ami_phase_from_string(const char *s, AmiPhase *ret)
{
    for (guint i = 0; s && i < AMI_PHASE_LAST; i++) {
        if (strcmp(s, phase_names[i]) == 0) {
            *ret = (AmiPhase)i;
            return TRUE;
        }
    }
    return FALSE;
}

AmiTiming *
ami_timing_new(const char *start, gint64 origin)
{
    AmiTiming *t = g_new0(AmiTiming, 1);

    t->start = g_strdup(start);
    t->origin = origin;
    return t;
}

void
ami_timing_free(AmiTiming *t)
{
    if (!t)
        return;
    clear_stages(t);
    g_free(t->start);
    g_free(t);
}

void
ami_timing_merge_json(AmiTiming *t, const json_t *timing)
{
    size_t i;
    json_t *e;

    if (g_strcmp0(json_string_value(json_object_get(timing, "Start")), t->start) != 0)
        return; /* another run's (start-instances begins a new one) */
    json_array_foreach(json_object_get(timing, "Phases"), i, e) {
        json_t *sec = json_object_get(e, "Seconds");
        AmiPhase p;

        if (ami_phase_from_string(json_string_value(json_object_get(e, "Name")), &p) &&
            json_is_number(sec))
            ami_timing_mark(t, p, json_number_value(sec));
    }
    if (t->n_stages)
        return;
    json_array_foreach(json_object_get(timing, "Stages"), i, e) {
        const char *name = json_string_value(json_object_get(e, "Name"));
        json_t *sec = json_object_get(e, "Seconds");

        if (name && json_is_number(sec))
            add_stage(t, name, json_number_value(sec));
    }
}

AmiTiming *
ami_timing_from_json(const json_t *timing, gint64 origin)
{
    const char *start = json_string_value(json_object_get(timing, "Start"));
    AmiTiming *t;

    if (!json_is_object(timing) || !start)
        return NULL;
    t = ami_timing_new(start, origin);
    ami_timing_merge_json(t, timing);
    return t;
}

const char *
ami_timing_start(const AmiTiming *t)
{
    return t->start;
}

gint64
ami_timing_origin(const AmiTiming *t)
{
    return t->origin;
}

void
ami_timing_mark(AmiTiming *t, AmiPhase p, double seconds)
{
    if (p >= AMI_PHASE_LAST || t->marked[p])
        return;
    t->marked[p] = TRUE;
    t->phase[p] = seconds > 0 && isfinite(seconds) ? seconds : 0;
}

gboolean
ami_timing_has(const AmiTiming *t, AmiPhase p)
{
    return p < AMI_PHASE_LAST && t->marked[p];
}

void
ami_timing_set_stages(AmiTiming *t, const AmiVerdict *v, double offset)
{
    clear_stages(t);
    for (guint i = 0; i < v->n_stages; i++)
        add_stage(t, v->stages[i].name, v->stages[i].seconds + offset);
}

/* Milliseconds are what a timeline can tell apart; more digits would be noise. */
static json_t *
event_json(const char *name, double seconds)
{
    return json_pack("{s:s, s:f}", "Name", name, "Seconds", round(seconds * 1000) / 1000);
}

json_t *
ami_timing_to_json(const AmiTiming *t)
{
    json_t *phases = json_array(), *stages = json_array();
    double last = 0;

    /* The phases happen one after the other; qemu-exec's clock tick (10 ms) must not
     * place it before libvirt-start. */
    for (guint i = 0; i < AMI_PHASE_LAST; i++) {
        if (!t->marked[i])
            continue;
        last = MAX(last, t->phase[i]);
        json_array_append_new(phases, event_json(phase_names[i], last));
    }
    for (guint i = 0; i < t->n_stages; i++)
        json_array_append_new(stages, event_json(t->stage_name[i], t->stage_seconds[i]));
    return json_pack("{s:s*, s:o, s:o}", "Start", t->start, "Phases", phases, "Stages", stages);
}

typedef struct {
    const char *kind;
    const char *name;
    double seconds;
    guint order; /* phases first, then stages, each in its list's order */
} Line;

static gint
compare_lines(gconstpointer a, gconstpointer b)
{
    const Line *x = a, *y = b;

    if (x->seconds != y->seconds)
        return x->seconds < y->seconds ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Members of @list that have a string Name and a number Seconds; others are skipped. */
static void
collect(GArray *lines, const json_t *list, const char *kind)
{
    size_t i;
    json_t *e;

    json_array_foreach((json_t *)list, i, e) {
        const char *name = json_string_value(json_object_get(e, "Name"));
        json_t *sec = json_object_get(e, "Seconds");
        Line l = {.kind = kind, .name = name, .order = lines->len};

        if (!name || !json_is_number(sec))
            continue;
        l.seconds = json_number_value(sec);
        g_array_append_val(lines, l);
    }
}

char *
ami_timing_format(const json_t *timing)
{
    g_autoptr(GArray) lines = g_array_new(FALSE, FALSE, sizeof(Line));
    GString *out = g_string_new(NULL);
    int width = 0;

    collect(lines, json_object_get(timing, "Phases"), "phase");
    collect(lines, json_object_get(timing, "Stages"), "stage");
    g_array_sort(lines, compare_lines);
    for (guint i = 0; i < lines->len; i++)
        width = MAX(width, (int)strlen(g_array_index(lines, Line, i).name));
    for (guint i = 0; i < lines->len; i++) {
        const Line *l = &g_array_index(lines, Line, i);

        g_string_append_printf(out, "  %s  %-*s %8.3f s", l->kind, width, l->name, l->seconds);
        if (i > 0)
            g_string_append_printf(out, "  +%.3f s",
                                   l->seconds - g_array_index(lines, Line, i - 1).seconds);
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}
