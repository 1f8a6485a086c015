/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/verdict.h"

/*
 * Failure classes, most specific first (console-markers.md "A proposed set of verdict
 * classes").  "soft" ones only decide when nothing better follows: OVMF tries the next
 * boot option after "failed to load … Not Found".  "prompt" ones also match an
 * unfinished line, since a prompt waits without a newline.  "recorded" ones never end
 * the boot, because the guest goes on as it would on EC2: cloud-init logs a failed
 * module and runs the next (config/modules.py _run_modules), systemd logs a failed
 * mount and goes on unless local-fs.target needs it, and then the emergency shell that
 * follows is a class of its own (docs/run.md "Recorded errors").
 */
typedef struct {
    const char *class_id;
    const char *pattern;
    gboolean soft;
    gboolean prompt;
    gboolean recorded;
} Marker;

static const Marker failure_markers[] = {
    {"secure-boot-rejected", "failed to load Boot[0-9A-Fa-f]{4} .*: (Access Denied|Security Violation)|Verification failed: |bad shim signature|prohibited by secure boot policy|Secure Boot forbids loading module", FALSE, FALSE, FALSE},
    {"no-bootable-device", "No bootable device|Boot failed: (not a bootable disk|could not read the boot disk)|No bootable option or device was found", FALSE, FALSE, FALSE},
    {"no-bootable-device", "failed to load Boot[0-9A-Fa-f]{4} .*: Not Found", TRUE, FALSE, FALSE},
    {"grub-rescue", "grub rescue> |grubdom>", FALSE, TRUE, FALSE},
    {"bootloader-error", "error: (unknown filesystem|no such partition|file .* not found|you need to load the kernel first|out of memory)|(alloc|free) magic (is )?broken|ERROR Invalid kernel|Error 15: File not found", FALSE, FALSE, FALSE},
    {"root-device-not-found", "VFS: (Unable to mount root fs|Cannot open root device)|No filesystem could mount root|Gave up waiting for root (file system )?device|ALERT! +\\S+ does not exist\\. +Dropping to a shell|dracut-initqueue: timeout, still waiting|Can't mount root filesystem|Could not boot\\.|Unable to determine major/minor number of root device|Timed out waiting for device .*(root|sysroot|by-uuid|by-label|by-partuuid)", FALSE, FALSE, FALSE},
    {"init-failure", "Kernel panic - not syncing: (Attempted to kill init!|No working init found)|No init found\\. Try passing init=|FATAL: kernel too old", FALSE, FALSE, FALSE},
    {"fsck-failure", "fsck failed with exit status|requires a manual fsck|File system check of the .* filesystem failed|fsck died with exit status|An error occurred during the file system check", FALSE, FALSE, FALSE},
    /* local-fs.target has OnFailure=emergency.target: its dependency failing is fatal. */
    {"mount-failure", "Dependency failed for Local File Systems|General error mounting filesystems", FALSE, FALSE, FALSE},
    {"mount-failure", "Failed to mount \\S+|Dependency failed for /\\S*", FALSE, FALSE, TRUE},
    {"selinux-halt", "Unable to load SELinux Policy.*Halting now", FALSE, FALSE, FALSE},
    {"initramfs-emergency", "dracut: Refusing to continue|Entering emergency mode\\. Exit the shell to continue|Generating \"/run/initramfs/rdsosreport\\.txt\"|Dropping to debug shell\\.|Boot has failed\\. To debug this issue|\\(initramfs\\) |Press Enter for emergency shell", FALSE, TRUE, FALSE},
    {"emergency-mode", "You are in (emergency|rescue) mode|Starting Emergency Shell|Cannot open access to console, the root account is locked|(Give|Enter) root password for (system )?maintenance|Press Enter for (system )?maintenance", FALSE, TRUE, FALSE},
    {"oom", "Kernel panic - not syncing: (System is deadlocked on memory|Out of memory)", FALSE, FALSE, FALSE},
    {"soft-lockup-or-stall", "BUG: soft lockup|rcu_(preempt|sched|bh|tasks) (self-)?detected( expedited)? stall|BUG: workqueue lockup", FALSE, FALSE, FALSE},
    {"hung-task", "Kernel panic - not syncing: hung_task", FALSE, FALSE, FALSE},
    {"kernel-panic", "Kernel panic - not syncing|PANIC: double fault", FALSE, FALSE, FALSE},
    {"kernel-oops", "Oops(: | -)|BUG: (unable to handle|kernel NULL pointer dereference)|kernel BUG at|general protection fault|Internal error: ", FALSE, FALSE, FALSE},
    /* console-markers.md #17; XENBUS is Xen's PV block front end failing (AWS A2).  Not the
     * CD-ROM or floppy: probing an empty sr0 (the seed's drive) can log a read error. */
    {"storage-io-error", "I/O error, dev (?!sr\\d|fd\\d)\\S+, sector|Buffer I/O error on (?:device|dev) (?!sr\\d|fd\\d)|rejecting I/O to offline device|EXT4-fs error|end_request: I/O error|XENBUS: (Device with no driver|Timeout connecting to devices)", FALSE, FALSE, FALSE},
    {"cloud-init-no-datasource", "No instance datasource found|Did not find any data source, searched classes|Datasource DataSourceNone|Used fallback datasource", FALSE, FALSE, FALSE},
    /* handlers/__init__.py walker_callback: a part cloud-init has no handler for is
     * skipped with a WARNING, so the user data (or that part of it) never runs. */
    {"cloud-init-failed", "Unhandled (non-multipart|unknown content-type) \\(.*\\) userdata: ", FALSE, FALSE, TRUE},
    {"cloud-init-failed", "Running module \\S+ \\(.*\\) failed|Failed to run module|\\.py\\[(ERROR|CRITICAL)\\]: |Failed to start .*[Cc]loud-init", FALSE, FALSE, TRUE},
};

/*
 * Boot stages, in boot order: the last one seen is a timeout's "last stage seen", and
 * the first time each is seen is the boot's timeline (AmiVerdict.stages, docs/run.md
 * "Timing").  initramfs is the kernel unpacking one, or its scripts (initramfs-tools,
 * dracut); the tiny image's busybox /init is its userspace.  cloud-init's four stages
 * print "Cloud-init v. X running 'MODE'" (cmd/main.py welcome_format); "cloud-init" is
 * any other mode.
 */
static const struct {
    const char *stage;
    const char *pattern;
} stages[] = {
    {"firmware", "SeaBIOS \\(version|BdsDxe:|UEFI firmware|EFI stub"},
    {"bootloader", "Welcome to GRUB!|Booting `|SYSLINUX|Loading .*vmlinuz|Probing EDD"},
    {"kernel", "Linux version \\d"},
    {"initramfs", "Trying to unpack rootfs image as initramfs|Unpacking initramfs|Freeing initrd memory|Loading, please wait\\.\\.\\.|dracut-cmdline"},
    {"userspace", "Switching root\\.|Reached target|Run /init as init process"},
    {"cloud-init", "Cloud-init v\\. .* running '(?!init-local'|init'|modules:config'|modules:final')"},
    {"cloud-init-local", "Cloud-init v\\. .* running 'init-local'"},
    {"cloud-init-network", "Cloud-init v\\. .* running 'init'"},
    {"cloud-init-config", "Cloud-init v\\. .* running 'modules:config'"},
    {"cloud-init-final", "Cloud-init v\\. .* running 'modules:final'"},
    {"cloud-init-finished", "Cloud-init v\\. \\S+ finished at"},
};
/* Where cloud-init's own stages begin, and its last two. */
enum {
    STAGE_CLOUD_INIT = 5,
    STAGE_FINAL = G_N_ELEMENTS(stages) - 2,
    STAGE_FINISHED = G_N_ELEMENTS(stages) - 1
};
G_STATIC_ASSERT(G_N_ELEMENTS(stages) <= AMI_VERDICT_MAX_STAGES);

/* CSI sequences, other two-byte escapes, and the rest of the C0 controls but \t. */
static const char ANSI_RE[] =
    "\\x1b\\[[0-?]*[ -/]*[@-~]|\\x1b[@-Z\\\\-_c]|[\\x00-\\x08\\x0b-\\x1f\\x7f]";
static const char LOGIN_RE[] = "login: ";
static const char CLOUD_INIT_FINISHED_RE[] = "Cloud-init v\\. \\S+ finished at";
/* config/modules.py: "Running module %s (%s) failed"; cc_scripts_user.py: "Failed to run
 * module %s (%s in %s)".  %s is the name in cloud.cfg's module lists (scripts-user). */
static const char MODULE_RE[] = "(?:Running|Failed to run) module (\\S+) \\(";
/* The modules that run the user data: scripts-user runs #! parts and runcmd's script. */
static const char USER_DATA_MODULE_RE[] = "^(scripts[-_]user|runcmd)$";
static const char UNHANDLED_RE[] = "Unhandled (non-multipart|unknown content-type) \\(";

typedef struct {
    GRegex *re;
    const char *class_id;
    gboolean soft;
    gboolean prompt;
    gboolean recorded;
    guint rank; /* position in the failure rules: lower is more severe */
} Rule;

/* A match and its severity; AmiVerdictMatch first, so a Match* is an AmiVerdictMatch*. */
typedef struct {
    AmiVerdictMatch pub;
    guint rank;
} Match;

struct AmiVerdictScanner {
    GPtrArray *failures;  /* Rule* */
    GPtrArray *successes; /* Rule* */
    GPtrArray *stage_res; /* GRegex* */
    gboolean stage_seen[G_N_ELEMENTS(stages)];
    GRegex *ansi;
    AmiUntil until;
    GString *partial;     /* the unfinished line */
    GQueue tail;          /* char*: last lines */
    AmiVerdict verdict;
    const Rule *soft_hit;
    char *soft_line;
    guint64 soft_offset;
    double soft_seconds;
    gsize bytes;
    guint64 line_start;         /* console offset of the unfinished line */
    GPtrArray *matches;         /* Match*, most severe first */
    GRegex *module_re, *user_data_module_re, *unhandled_re;
    gboolean strict, user_data, user_data_script;
    gsize scanned;        /* console bytes read up to the line being judged */
    gboolean cloud_init_seen, final_started, finished, no_datasource;
    Match *user_data_failure; /* scripts-user or runcmd failed, or cloud-init did not handle
                               * the user data (a copy: the list may drop it) */
    const char *user_data_state; /* "failed" or "ignored", with user_data_failure */
    char *root_device_hint;   /* AmiVerdictOptions.root_device_hint */
};

static void
match_free(gpointer data)
{
    Match *m = data;

    g_free(m->pub.line);
    g_free(m->pub.detail);
    g_free(m);
}

static void
rule_free(gpointer data)
{
    Rule *r = data;

    g_regex_unref(r->re);
    g_free(r);
}

/*
 * The built-in patterns (static strings, keyed by address) are compiled once per
 * process and shared: JIT-compiling ~30 of them cost more than scanning a whole boot
 * log, and held fuzz-verdict to 130 inputs a second.  GRegex matching is thread-safe.
 */
static GRegex *
builtin_regex(const char *pattern, GRegexCompileFlags flags)
{
    static GMutex lock;
    static GHashTable *compiled;
    GRegex *re;

    g_mutex_lock(&lock);
    if (!compiled)
        compiled = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (!(re = g_hash_table_lookup(compiled, pattern))) {
        re = g_regex_new(pattern, flags | G_REGEX_OPTIMIZE, 0, NULL);
        g_assert(re); /* a static pattern: tests/unit/test-verdict compiles them all */
        g_hash_table_insert(compiled, (gpointer)pattern, re);
    }
    g_regex_ref(re);
    g_mutex_unlock(&lock);
    return re;
}

/* @option names the user's option for a user pattern; NULL for a built-in one. */
static gboolean
add_rule(GPtrArray *rules, const char *pattern, const char *class_id, gboolean soft,
         gboolean prompt, const char *option, GError **error)
{
    g_autoptr(GError) local = NULL;
    GRegex *re = option ? g_regex_new(pattern, G_REGEX_OPTIMIZE, 0, &local)
                        : builtin_regex(pattern, 0);
    Rule *r;

    if (!re) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "%s '%.80s': %s", option ? option : "pattern",
                    pattern, local ? local->message : "not a valid regex");
        return FALSE;
    }
    r = g_new0(Rule, 1);
    r->re = re;
    r->class_id = class_id;
    r->soft = soft;
    r->prompt = prompt;
    r->rank = rules->len;
    g_ptr_array_add(rules, r);
    return TRUE;
}

gboolean
ami_until_from_string(const char *s, AmiUntil *ret)
{
    static const char *const names[] = {"default", "login", "cloud-init", "shutdown", NULL};

    for (int i = 0; s && names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *ret = (AmiUntil)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *
ami_outcome_to_string(AmiOutcome v)
{
    static const char *const names[] = {"running", "success", "failure", "timeout"};

    return v < AMI_OUTCOME_LAST ? names[v] : NULL;
}

void
ami_verdict_scanner_free(AmiVerdictScanner *s)
{
    if (!s)
        return;
    g_ptr_array_unref(s->failures);
    g_ptr_array_unref(s->successes);
    g_ptr_array_unref(s->stage_res);
    g_regex_unref(s->ansi);
    g_clear_pointer(&s->module_re, g_regex_unref);
    g_clear_pointer(&s->user_data_module_re, g_regex_unref);
    g_clear_pointer(&s->unhandled_re, g_regex_unref);
    g_ptr_array_unref(s->matches);
    g_clear_pointer(&s->user_data_failure, match_free);
    g_string_free(s->partial, TRUE);
    g_queue_clear_full(&s->tail, g_free);
    g_free(s->verdict.line);
    g_free(s->soft_line);
    g_free(s->root_device_hint);
    g_free(s);
}

static gboolean
add_success_rules(AmiVerdictScanner *s, const AmiVerdictOptions *opts, GError **error)
{
    AmiUntil until = opts->until;

    if (opts->success && opts->success[0]) {
        for (guint i = 0; opts->success[i]; i++) {
            if (!add_rule(s->successes, opts->success[i], "success", FALSE, TRUE, "--success", error))
                return FALSE;
        }
        return TRUE;
    }
    /* With user data, a login prompt is too early: Debian prints it before the final stage. */
    if (until == AMI_UNTIL_DEFAULT)
        until = opts->user_data ? AMI_UNTIL_CLOUD_INIT : AMI_UNTIL_LOGIN;
    s->until = until;
    switch (until) {
    case AMI_UNTIL_LOGIN:
        return add_rule(s->successes, LOGIN_RE, "success", FALSE, TRUE, NULL, error) &&
               add_rule(s->successes, CLOUD_INIT_FINISHED_RE, "success", FALSE, FALSE, NULL, error);
    case AMI_UNTIL_CLOUD_INIT:
        return add_rule(s->successes, CLOUD_INIT_FINISHED_RE, "success", FALSE, FALSE, NULL, error);
    case AMI_UNTIL_SHUTDOWN:
    case AMI_UNTIL_DEFAULT:
    case AMI_UNTIL_LAST:
        break;
    }
    return TRUE;
}

AmiVerdictScanner *
ami_verdict_scanner_new(const AmiVerdictOptions *opts, GError **error)
{
    g_autoptr(AmiVerdictScanner) s = g_new0(AmiVerdictScanner, 1);

    s->failures = g_ptr_array_new_with_free_func(rule_free);
    s->successes = g_ptr_array_new_with_free_func(rule_free);
    s->stage_res = g_ptr_array_new_with_free_func((GDestroyNotify)g_regex_unref);
    s->partial = g_string_new(NULL);
    s->until = opts->until;
    s->strict = opts->strict;
    s->root_device_hint = g_strdup(opts->root_device_hint);
    s->user_data = opts->user_data;
    s->user_data_script = opts->user_data_script;
    s->matches = g_ptr_array_new_with_free_func(match_free);
    s->verdict.matches = s->matches;
    s->verdict.user_data_exit = -1;
    g_queue_init(&s->tail);
    s->ansi = builtin_regex(ANSI_RE, G_REGEX_RAW);
    s->module_re = builtin_regex(MODULE_RE, 0);
    s->user_data_module_re = builtin_regex(USER_DATA_MODULE_RE, 0);
    s->unhandled_re = builtin_regex(UNHANDLED_RE, 0);
    for (guint i = 0; opts->failure && opts->failure[i]; i++) {
        if (!add_rule(s->failures, opts->failure[i], "user-failure-marker", FALSE, TRUE, "--failure",
                      error))
            return NULL;
    }
    for (guint i = 0; i < G_N_ELEMENTS(failure_markers); i++) {
        const Marker *m = &failure_markers[i];

        if (!add_rule(s->failures, m->pattern, m->class_id, m->soft, m->prompt, NULL, error))
            return NULL;
        ((Rule *)g_ptr_array_index(s->failures, s->failures->len - 1))->recorded = m->recorded;
    }
    for (guint i = 0; i < G_N_ELEMENTS(stages); i++)
        g_ptr_array_add(s->stage_res, builtin_regex(stages[i].pattern, 0));
    if (!add_success_rules(s, opts, error))
        return NULL;
    return g_steal_pointer(&s);
}

/* What the console says of the user data.  Without any cloud-init line it says nothing:
 * the image may run user data its own way (tiny). */
static const char *
user_data_status(const AmiVerdictScanner *s)
{
    if (!s->user_data || !s->cloud_init_seen)
        return NULL;
    if (s->user_data_failure)
        return s->user_data_state;
    if (s->no_datasource)
        return "not seen";
    if (s->finished)
        return "ran";
    return s->final_started ? "unfinished" : "not reached";
}

static void
decide(AmiVerdictScanner *s, AmiOutcome outcome, const char *class_id, const char *line,
       const char *detail, double seconds)
{
    s->verdict.outcome = outcome;
    s->verdict.class_id = class_id;
    g_free(s->verdict.line);
    s->verdict.line = g_strdup(line);
    s->verdict.detail = detail;
    s->verdict.seconds = seconds;
    s->verdict.user_data = user_data_status(s);
    /* cloud-init 22.4 logs a script's exit status only at DEBUG (subp.py runparts), which
     * does not reach the console; but any script exiting non-zero makes runparts raise, and
     * scripts-user's failure is a WARNING on the console.  So a script that finished
     * without one exited 0; a failed one's status is not shown. */
    s->verdict.user_data_exit =
        s->user_data_script && g_strcmp0(s->verdict.user_data, "ran") == 0 ? 0 : -1;
    s->verdict.decided_offset = s->scanned;
}

/* "module locale" from cloud-init's module failure lines, "unhandled user data" from
 * its walker's, else NULL. */
static char *
match_detail(const AmiVerdictScanner *s, const char *line)
{
    g_autoptr(GMatchInfo) mi = NULL;
    g_autofree char *name = NULL;

    if (!g_regex_match(s->module_re, line, 0, &mi))
        return g_regex_match(s->unhandled_re, line, 0, NULL) ? g_strdup("unhandled user data")
                                                            : NULL;
    name = g_match_info_fetch(mi, 1);
    return g_strdup_printf("module %s", name);
}

/* @a goes before @b: decisive before recorded, then by class order. */
static gboolean
more_severe(const Match *a, const Match *b)
{
    if (a->pub.recorded != b->pub.recorded)
        return !a->pub.recorded;
    return a->rank < b->rank;
}

/* The user data's module failed, or cloud-init skipped (a part of) the user data: kept
 * aside, since the list may drop it. */
static void
note_user_data_failure(AmiVerdictScanner *s, const Match *m)
{
    gboolean ignored = g_strcmp0(m->pub.detail, "unhandled user data") == 0;

    if (!s->user_data || s->user_data_failure || !m->pub.detail ||
        (!ignored && (!g_str_has_prefix(m->pub.detail, "module ") ||
                      !g_regex_match(s->user_data_module_re, m->pub.detail + strlen("module "), 0,
                                     NULL))))
        return;
    s->user_data_state = ignored ? "ignored" : "failed";
    s->user_data_failure = g_memdup2(m, sizeof(*m));
    s->user_data_failure->pub.line = g_strdup(m->pub.line);
    s->user_data_failure->pub.detail = g_strdup(m->pub.detail);
}

/*
 * Keep @r's match of @line in the list, most severe first (equals in console order).
 * At most AMI_VERDICT_MAX_MATCHES are kept; the least severe make way and are counted,
 * so a guest repeating a failure line cannot grow ami-run's memory.  Returns the match
 * (owned by the list), or NULL when it did not make the list.
 */
static const Match *
add_match(AmiVerdictScanner *s, const Rule *r, const char *line, guint64 offset, double seconds)
{
    Match *m = g_new0(Match, 1);
    guint i = 0;

    m->pub.class_id = r->class_id;
    m->pub.line = g_strdup(line);
    if (strcmp(r->class_id, "cloud-init-failed") == 0)
        m->pub.detail = match_detail(s, line);
    else if (strcmp(r->class_id, "root-device-not-found") == 0)
        m->pub.detail = g_strdup(s->root_device_hint);
    m->pub.offset = offset;
    m->pub.seconds = seconds;
    m->pub.recorded = r->recorded;
    m->rank = r->rank;
    s->no_datasource |= strcmp(r->class_id, "cloud-init-no-datasource") == 0;
    note_user_data_failure(s, m);
    if (s->matches->len == AMI_VERDICT_MAX_MATCHES) {
        s->verdict.unlisted++;
        if (!more_severe(m, s->matches->pdata[s->matches->len - 1])) {
            match_free(m);
            return NULL;
        }
        g_ptr_array_remove_index(s->matches, s->matches->len - 1);
    }
    while (i < s->matches->len && !more_severe(m, s->matches->pdata[i]))
        i++;
    g_ptr_array_insert(s->matches, (gint)i, m);
    return m;
}

/*
 * The success condition came.  The user data failing is not a recovered error (it is
 * what the user asked to run): it fails the run.  Other recorded errors do under
 * --strict, the most severe deciding; without it they stay warnings.
 */
static void
succeed(AmiVerdictScanner *s, const char *line, double seconds)
{
    const Match *worst = s->user_data_failure;

    if (!worst && s->strict && s->matches->len)
        worst = s->matches->pdata[0];
    /* decide() copies the line; the detail must outlive it, so it points into the list
     * or the copy, both kept until the scanner is freed. */
    if (worst)
        decide(s, AMI_OUTCOME_FAILURE, worst->pub.class_id, worst->pub.line, worst->pub.detail,
               seconds);
    else
        decide(s, AMI_OUTCOME_SUCCESS, "success", line, NULL, seconds);
}

guint
ami_verdict_recorded_count(const AmiVerdict *v)
{
    guint n = 0;

    for (guint i = 0; v->matches && i < v->matches->len; i++)
        n += ((const AmiVerdictMatch *)v->matches->pdata[i])->recorded;
    return n;
}

static const Rule *
match_rules(GPtrArray *rules, const char *line, gboolean partial)
{
    for (guint i = 0; i < rules->len; i++) {
        const Rule *r = rules->pdata[i];

        if ((!partial || r->prompt) && g_regex_match(r->re, line, 0, NULL))
            return r;
    }
    return NULL;
}

/* The first time stage @i is seen goes on the timeline, in console order. */
static void
note_stage(AmiVerdictScanner *s, guint i, double seconds)
{
    AmiVerdictStage *st;

    if (s->stage_seen[i])
        return;
    s->stage_seen[i] = TRUE;
    st = &s->verdict.stages[s->verdict.n_stages++];
    st->name = stages[i].stage;
    st->seconds = seconds;
}

static void
scan_line(AmiVerdictScanner *s, const char *raw, gboolean partial, guint64 offset,
          double seconds)
{
    /* GRegex (PCRE2 JIT) must not see invalid UTF-8: it read out of bounds (fuzz-verdict). */
    g_autofree char *valid = g_utf8_validate(raw, -1, NULL) ? NULL : g_utf8_make_valid(raw, -1);
    const char *line = valid ? valid : raw;
    const Rule *r;

    if (!partial) {
        for (guint i = 0; i < s->stage_res->len; i++) {
            if (!g_regex_match(s->stage_res->pdata[i], line, 0, NULL))
                continue;
            s->verdict.stage = stages[i].stage;
            note_stage(s, i, seconds);
            s->cloud_init_seen |= i >= STAGE_CLOUD_INIT;
            s->final_started |= i == STAGE_FINAL;
            s->finished |= i == STAGE_FINISHED;
        }
    }
    if ((r = match_rules(s->failures, line, partial))) {
        /* cloud-init's "finished … Datasource DataSourceNone": the seed was not seen. */
        if (r->soft) {
            s->soft_hit = r;
            g_free(s->soft_line);
            s->soft_line = g_strdup(line);
            s->soft_offset = offset;
            s->soft_seconds = seconds;
        } else if (r->recorded) {
            add_match(s, r, line, offset, seconds);
        } else {
            const Match *m = add_match(s, r, line, offset, seconds);

            decide(s, AMI_OUTCOME_FAILURE, r->class_id, line, m ? m->pub.detail : NULL, seconds);
        }
        return;
    }
    if (match_rules(s->successes, line, partial))
        succeed(s, line, seconds);
}

/* At the deadline or power-off, OVMF's "Not Found" decides if nothing else did. */
static void
decide_soft(AmiVerdictScanner *s, double seconds)
{
    add_match(s, s->soft_hit, s->soft_line, s->soft_offset, s->soft_seconds);
    decide(s, AMI_OUTCOME_FAILURE, s->soft_hit->class_id, s->soft_line, NULL, seconds);
}

static void
remember(AmiVerdictScanner *s, const char *line)
{
    g_queue_push_tail(&s->tail, g_strdup(line));
    while (g_queue_get_length(&s->tail) > 200)
        g_free(g_queue_pop_head(&s->tail));
}

AmiOutcome
ami_verdict_feed(AmiVerdictScanner *s, const char *data, size_t len, double seconds)
{
    guint64 base = s->bytes;

    s->bytes += len;
    for (size_t i = 0; i < len && s->verdict.outcome == AMI_OUTCOME_RUNNING; i++) {
        g_autofree char *clean = NULL;
        guint64 offset = s->line_start;

        if (data[i] != '\n') {
            g_string_append_c(s->partial, data[i]);
            if (s->partial->len < 65536)
                continue;
        }
        clean = g_regex_replace_literal(s->ansi, s->partial->str, (gssize)s->partial->len, 0,
                                        "", 0, NULL);
        g_string_truncate(s->partial, 0);
        s->line_start = base + i + 1;
        s->scanned = s->line_start;
        if (!clean)
            continue;
        remember(s, clean);
        scan_line(s, clean, FALSE, offset, seconds);
    }
    return s->verdict.outcome;
}

AmiOutcome
ami_verdict_quiet(AmiVerdictScanner *s, double seconds)
{
    g_autofree char *clean = NULL;

    if (s->verdict.outcome != AMI_OUTCOME_RUNNING || !s->partial->len)
        return s->verdict.outcome;
    s->scanned = s->bytes;
    clean = g_regex_replace_literal(s->ansi, s->partial->str, (gssize)s->partial->len, 0, "", 0,
                                    NULL);
    if (clean)
        scan_line(s, clean, TRUE, s->line_start, seconds);
    return s->verdict.outcome;
}

AmiOutcome
ami_verdict_guest_stopped(AmiVerdictScanner *s, double seconds)
{
    if (s->verdict.outcome != AMI_OUTCOME_RUNNING)
        return s->verdict.outcome;
    s->scanned = s->bytes;
    if (s->until == AMI_UNTIL_SHUTDOWN)
        succeed(s, "guest powered off", seconds);
    else if (s->soft_hit)
        decide_soft(s, seconds);
    else
        decide(s, AMI_OUTCOME_FAILURE, "powered-off-before-success", NULL, NULL, seconds);
    return s->verdict.outcome;
}

AmiOutcome
ami_verdict_deadline(AmiVerdictScanner *s, double seconds)
{
    if (s->verdict.outcome != AMI_OUTCOME_RUNNING)
        return s->verdict.outcome;
    s->scanned = s->bytes;
    if (s->soft_hit)
        decide_soft(s, seconds);
    else
        decide(s, AMI_OUTCOME_TIMEOUT, s->bytes ? "timeout-stalled" : "timeout-no-output", NULL,
               NULL, seconds);
    return s->verdict.outcome;
}

const AmiVerdict *
ami_verdict_get(const AmiVerdictScanner *s)
{
    return &s->verdict;
}

char **
ami_verdict_tail(const AmiVerdictScanner *s, guint n)
{
    GPtrArray *out = g_ptr_array_new();
    guint len = g_queue_get_length((GQueue *)&s->tail);

    for (guint i = len > n ? len - n : 0; i < len; i++)
        g_ptr_array_add(out, g_strdup(g_queue_peek_nth((GQueue *)&s->tail, i)));
    if (s->partial->len)
        g_ptr_array_add(out, g_strdup(s->partial->str));
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

json_t *
ami_verdict_to_json(const AmiVerdict *v, gboolean strict)
{
    json_t *matches = json_array(), *j;

    for (guint i = 0; i < v->matches->len; i++) {
        const AmiVerdictMatch *m = v->matches->pdata[i];

        json_array_append_new(matches, json_pack("{s:s, s:s*, s:s, s:I, s:f, s:b}", "Class",
                                                 m->class_id, "Detail", m->detail, "Line", m->line,
                                                 "Offset", (json_int_t)m->offset, "Seconds",
                                                 m->seconds, "Recorded", m->recorded));
    }
    j = json_pack("{s:s, s:s, s:s*, s:s*, s:f, s:s*, s:s*, s:b, s:o, s:i, s:I}", "Outcome",
                  ami_outcome_to_string(v->outcome), "Class", v->class_id, "Detail", v->detail,
                  "Line", v->line, "Seconds", v->seconds, "Stage", v->stage, "UserData",
                  v->user_data, "Strict", strict, "Matches", matches, "Unlisted", (int)v->unlisted,
                  "DecidedOffset", (json_int_t)v->decided_offset);
    if (v->user_data_exit >= 0)
        json_object_set_new(j, "UserDataExit", json_integer(v->user_data_exit));
    return j;
}

/* "; user data ran, exit 0" (@sep first), or nothing. */
static void
append_user_data(GString *out, const AmiVerdict *v, const char *sep)
{
    if (!v->user_data)
        return;
    g_string_append_printf(out, "%suser data %s", sep, v->user_data);
    if (v->user_data_exit >= 0)
        g_string_append_printf(out, ", exit %d", v->user_data_exit);
}

/* A recorded match decided @v (--strict, or the user data failed). */
static gboolean
decided_by_recorded(const AmiVerdict *v)
{
    for (guint i = 0; v->outcome == AMI_OUTCOME_FAILURE && v->line && i < v->matches->len; i++) {
        const AmiVerdictMatch *m = v->matches->pdata[i];

        if (m->recorded && g_strcmp0(m->class_id, v->class_id) == 0 && strcmp(m->line, v->line) == 0)
            return TRUE;
    }
    return FALSE;
}

/* @m is the same failure as @class_id/@detail: cloud-init logs one failed scripts-user
 * twice (cc_scripts_user.py, then config/modules.py); lines without a detail are each
 * their own. */
static gboolean
same_failure(const AmiVerdictMatch *m, const char *class_id, const char *detail)
{
    return m->detail && detail && strcmp(m->class_id, class_id) == 0 && strcmp(m->detail, detail) == 0;
}

/* The recorded matches the line counts (and names, up to three, into @ret_named when
 * given): one per failure, and not the one that decided. */
static guint
distinct_recorded(const AmiVerdict *v, GString *ret_named)
{
    gboolean skip_verdict = decided_by_recorded(v);
    guint n = 0;

    for (guint i = 0; i < v->matches->len; i++) {
        const AmiVerdictMatch *m = v->matches->pdata[i];
        gboolean dup = skip_verdict && same_failure(m, v->class_id, v->detail);

        if (!m->recorded)
            continue;
        if (skip_verdict && !m->detail && !v->detail && strcmp(m->line, v->line) == 0)
            dup = TRUE;
        for (guint j = 0; j < i && !dup; j++) {
            const AmiVerdictMatch *e = v->matches->pdata[j];

            dup = e->recorded && same_failure(m, e->class_id, e->detail);
        }
        if (dup)
            continue;
        if (ret_named && n < 3)
            g_string_append_printf(ret_named, "%s%s%s%s", n ? ", " : "", m->class_id,
                                   m->detail ? ": " : "", m->detail ? m->detail : "");
        n++;
    }
    return n;
}

/* " with 2 warnings (cloud-init-failed: module locale, mount-failure)": at most three named. */
static void
append_warnings(GString *out, const AmiVerdict *v)
{
    g_autoptr(GString) named = g_string_new(NULL);
    guint n = distinct_recorded(v, named);

    if (n)
        g_string_append_printf(out, " with %u warning%s (%s%s)", n, n > 1 ? "s" : "", named->str,
                               n > 3 ? ", …" : "");
}

char *
ami_verdict_summary(const AmiVerdict *v)
{
    GString *out = g_string_new(ami_outcome_to_string(v->outcome));
    gboolean success = v->outcome == AMI_OUTCOME_SUCCESS;
    guint recorded = success ? 0 : distinct_recorded(v, NULL);

    if (!success && v->class_id) {
        g_string_append_printf(out, " (%s%s%s", v->class_id, v->detail ? ": " : "",
                               v->detail ? v->detail : "");
        append_user_data(out, v, "; ");
        g_string_append_c(out, ')');
    }
    if (success)
        append_warnings(out, v);
    else if (recorded)
        g_string_append_printf(out, " with %u recorded error%s", recorded, recorded > 1 ? "s" : "");
    g_string_append_printf(out, " after %.1f s", v->seconds);
    if (v->stage)
        g_string_append_printf(out, ", stage %s", v->stage);
    if (success)
        append_user_data(out, v, ", ");
    if (v->line)
        g_string_append_printf(out, ": '%s'", v->line);
    return g_string_free(out, FALSE);
}

gboolean
ami_verdict_user_data_is_script(const char *data, size_t len)
{
    static const char cloud_config[] = "#cloud-config";

    if (len >= 2 && data[0] == '#' && data[1] == '!')
        return TRUE;
    if (len < strlen(cloud_config) || memcmp(data, cloud_config, strlen(cloud_config)) != 0)
        return FALSE;
    /* A top-level key starts its line: "runcmd:" at column 0. */
    for (size_t i = 0; i + strlen("runcmd:") <= len; i++) {
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "runcmd:", strlen("runcmd:")) == 0)
            return TRUE;
    }
    return FALSE;
}
