/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The clock behind a boot's timeline (include/ami-run/timing.h): the only place its
 * times are read, so core/timing.c stays a pure function of them.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ami-run/timing.h"

/*
 * Seconds since process @pid started (/proc/PID/stat field 22, in clock ticks after boot,
 * proc(5), on the clock CLOCK_BOOTTIME reads), or a negative number when unknown.
 */
static double
process_age(int pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    struct timespec boot;
    long ticks = sysconf(_SC_CLK_TCK);
    char *p;

    if (pid <= 0 || ticks <= 0 || !g_file_get_contents(path, &text, NULL, NULL) ||
        !(p = strrchr(text, ')')) || clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
        return -1;
    fields = g_strsplit(p + 2, " ", 0);
    if (g_strv_length(fields) <= 19)
        return -1;
    return (double)boot.tv_sec + (double)boot.tv_nsec / 1e9 -
           g_ascii_strtod(fields[19], NULL) / (double)ticks;
}

/*
 * The command starts when its process does (the exec, the dynamic linker, libvirt's
 * constructors are ami-run's time too), to the clock tick (10 ms).
 */
AmiTiming *
ami_clock_timing_new(void)
{
    double age = process_age(getpid());
    gint64 ago = age > 0 && age < 60 ? (gint64)(age * G_USEC_PER_SEC) : 0;
    gint64 real = g_get_real_time() - ago;
    gint64 origin = g_get_monotonic_time() - ago;
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(real / G_USEC_PER_SEC);
    g_autofree char *secs = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
    g_autofree char *start = g_strdup_printf("%s.%03dZ", secs, (int)(real % G_USEC_PER_SEC / 1000));
    AmiTiming *t = ami_timing_new(start, origin);

    ami_timing_mark(t, AMI_PHASE_COMMAND_START, 0);
    return t;
}

AmiTiming *
ami_clock_timing_resume(const json_t *timing)
{
    const char *start = json_string_value(json_object_get(timing, "Start"));
    g_autoptr(GDateTime) when = start ? g_date_time_new_from_iso8601(start, NULL) : NULL;
    gint64 ago;

    if (!when)
        return NULL;
    ago = g_get_real_time() - (g_date_time_to_unix(when) * G_USEC_PER_SEC +
                              g_date_time_get_microsecond(when));
    return ami_timing_from_json(timing, g_get_monotonic_time() - ago);
}

double
ami_clock_since(const AmiTiming *t)
{
    return (double)(g_get_monotonic_time() - ami_timing_origin(t)) / G_USEC_PER_SEC;
}

void
ami_clock_mark(AmiTiming *t, AmiPhase p)
{
    if (t)
        ami_timing_mark(t, p, ami_clock_since(t));
}

double
ami_clock_process_started(const AmiTiming *t, int pid)
{
    double age = process_age(pid);

    return age < 0 ? -1 : ami_clock_since(t) - age;
}
