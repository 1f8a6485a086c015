/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The boot timeline picture (contract C2): ami-run's host-side phases in one lane and
 * the guest's stages, as the console showed them, in another, on one time axis.  Each
 * phase or stage starts at its Seconds and lasts until the next one starts; the last one
 * ends at the end of the axis (the latest time in the record).  The colours follow
 * systemd-analyze plot's (firmware, loader, kernel, initrd, userspace).
 */
#include <math.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/timeline.h"

#define W 900.0
#define LEFT 110.0
#define RIGHT 20.0
#define LANE 28.0
#define TOP 10.0

typedef struct {
    const char *name;
    double at;
} Mark;

static const char *
colour(const char *lane, const char *name, guint i)
{
    static const char *const host[] = {"#8fb3d9", "#b5cde8", "#6f9cc9", "#a3c1e0"};
    static const struct {
        const char *prefix, *fill;
    } stages[] = {
        {"firmware", "#7d7d7d"}, {"bootloader", "#a8a8a8"}, {"kernel", "#c7a36b"},
        {"initramfs", "#d9c27a"}, {"userspace", "#7fb87f"}, {"cloud-init", "#b48ad1"},
    };

    if (strcmp(lane, "phase") == 0)
        return host[i % G_N_ELEMENTS(host)];
    for (gsize k = 0; k < G_N_ELEMENTS(stages); k++)
        if (g_str_has_prefix(name, stages[k].prefix))
            return stages[k].fill;
    return "#cccccc";
}

static gboolean
read_marks(const json_t *list, const char *what, GArray *out, double *max, GError **error)
{
    size_t i;
    json_t *e;

    if (list && !json_is_array(list))
        return ami_error_invalid(error, "Timing.%s is not a list", what);
    json_array_foreach (list, i, e) {
        const char *name = json_string_value(json_object_get(e, "Name"));
        const json_t *sec = json_object_get(e, "Seconds");
        Mark m;

        if (!name || !json_is_number(sec) || !isfinite(json_number_value(sec)) ||
            json_number_value(sec) < 0)
            return ami_error_invalid(error, "Timing.%s[%zu] needs a Name and Seconds ≥ 0", what, i);
        m.name = name;
        m.at = json_number_value(sec);
        *max = MAX(*max, m.at);
        g_array_append_val(out, m);
    }
    return TRUE;
}

static double
x_of(double t, double span)
{
    return LEFT + (W - LEFT - RIGHT) * (span > 0 ? t / span : 0);
}

static void
lane(GString *svg, const char *cls, const char *title, const GArray *marks, double span, double y)
{
    g_autofree char *label = g_markup_printf_escaped(
        "<text class=\"lane\" x=\"4\" y=\"%.1f\">%s</text>\n", y + LANE * 0.6, title);

    g_string_append(svg, label);
    for (guint i = 0; i < marks->len; i++) {
        const Mark *m = &g_array_index(marks, Mark, i);
        double end = i + 1 < marks->len ? g_array_index(marks, Mark, i + 1).at : span;
        double x0 = x_of(m->at, span), x1 = x_of(MAX(end, m->at), span);
        g_autofree char *g = g_markup_printf_escaped(
            "<g class=\"%s\" data-name=\"%s\"><title>%s at %.3f s</title>"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">%s</text></g>\n",
            cls, m->name, m->name, m->at, x0, y, MAX(x1 - x0, 1.5), LANE - 6,
            colour(cls, m->name, i), x0 + 2, y + (i % 2 ? LANE + 6 : -2), m->name);

        g_string_append(svg, g);
    }
}

static void
axis(GString *svg, double span, double y)
{
    double step = span <= 5 ? 0.5 : span <= 20 ? 2 : span <= 60 ? 5 : span <= 300 ? 30 : 60;

    g_string_append_printf(svg, "<g class=\"axis\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                                "y2=\"%.1f\" stroke=\"#444\"/>\n",
                           LEFT, y, W - RIGHT, y);
    for (double t = 0; span > 0 && t <= span + 1e-9; t += step)
        g_string_append_printf(svg,
                               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"#444\"/><text x=\"%.1f\" y=\"%.1f\">%g s</text>\n",
                               x_of(t, span), y, x_of(t, span), y + 4, x_of(t, span) - 6, y + 16, t);
    g_string_append(svg, "</g>\n");
}

char *
ami_timeline_svg(const json_t *timing, GError **error)
{
    g_autoptr(GArray) phases = g_array_new(FALSE, FALSE, sizeof(Mark));
    g_autoptr(GArray) stages = g_array_new(FALSE, FALSE, sizeof(Mark));
    g_autoptr(GString) svg = g_string_new(NULL);
    const char *start = json_string_value(json_object_get(timing, "Start"));
    double span = 0, height = TOP + 2 * (LANE + 18) + 30;

    if (timing && !json_is_object(timing))
        return ami_error_invalid(error, "Timing is not an object"), NULL;
    if (!read_marks(json_object_get(timing, "Phases"), "Phases", phases, &span, error) ||
        !read_marks(json_object_get(timing, "Stages"), "Stages", stages, &span, error))
        return NULL;
    /* Room after the last mark, so that it shows as a bar and not a line. */
    span = span > 0 ? span * 1.05 : 1;
    g_string_append_printf(svg,
                           "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
                           "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                           "font-family=\"sans-serif\" font-size=\"10\">\n",
                           W, height, W, height);
    if (start) {
        g_autofree char *t = g_markup_printf_escaped("<title>boot timeline from %s</title>\n", start);

        g_string_append(svg, t);
    }
    if (phases->len == 0 && stages->len == 0)
        g_string_append_printf(svg, "<text class=\"empty\" x=\"%.1f\" y=\"%.1f\">no timing "
                                    "recorded</text>\n",
                               LEFT, TOP + LANE);
    lane(svg, "phase", "ami-run", phases, span, TOP + 8);
    lane(svg, "stage", "guest", stages, span, TOP + 8 + LANE + 18);
    axis(svg, span, TOP + 2 * (LANE + 18) + 4);
    g_string_append(svg, "</svg>\n");
    return g_string_free(g_steal_pointer(&svg), FALSE);
}
