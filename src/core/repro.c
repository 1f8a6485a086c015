/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/repro.h"

/*
 * What `aws ec2 get-console-output` prints (docs/reproduce.md): the AWS CLI decodes the
 * API's base64 Output and prints {"InstanceId", "Timestamp", "Output"}; the raw API (or
 * an SDK) leaves Output base64; `--output text` or a copy from the console gives the text.
 */

const char *
ami_saved_form_to_string(AmiSavedForm v)
{
    static const char *const names[] = {"json", "json-base64", "base64", "plain"};

    return v < AMI_SAVED_LAST ? names[v] : NULL;
}

void
ami_saved_console_free(AmiSavedConsole *s)
{
    if (!s)
        return;
    g_free(s->text);
    g_free(s->instance_id);
    g_free(s);
}

static gboolean
b64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/';
}

char *
ami_base64_strict_decode(const char *text, gsize len, gsize *ret_len)
{
    g_autoptr(GString) clean = g_string_new(NULL);
    gsize data, n, out_len = 0;
    guchar *raw;
    char *out;

    for (gsize i = 0; i < len; i++) {
        if (text[i] != '\n' && text[i] != '\r')
            g_string_append_c(clean, text[i]);
    }
    n = clean->len;
    if (n == 0 || n % 4 != 0)
        return NULL;
    for (data = n; data > 0 && n - data < 2 && clean->str[data - 1] == '='; data--)
        ;
    for (gsize i = 0; i < data; i++) {
        if (!b64_char(clean->str[i]))
            return NULL;
    }
    raw = g_base64_decode(clean->str, &out_len);
    out = g_malloc(out_len + 1);
    memcpy(out, raw, out_len);
    out[out_len] = '\0';
    g_free(raw);
    *ret_len = out_len;
    return out;
}

/*
 * Strict base64 that decodes to text: a console is text with line breaks, so at least
 * 95 % of its bytes are printable, tabs, newlines or UTF-8.  Plain console text is
 * almost never valid base64 (it has spaces); the text check rules out the rest, such as
 * a one-word "ABCD".
 */
static gboolean
looks_like_text(const char *data, gsize n)
{
    gsize printable = 0;

    for (gsize i = 0; i < n; i++) {
        guchar c = (guchar)data[i];

        printable += (c >= 0x20 && c != 0x7f) || c == '\n' || c == '\r' || c == '\t' || c == 0x1b;
    }
    return printable * 100 >= n * 95;
}

static char *
decode_console_base64(const char *text, gsize len, gsize *ret_len)
{
    gsize n = 0;
    g_autofree char *raw = ami_base64_strict_decode(text, len, &n);

    if (!raw || n == 0 || !looks_like_text(raw, n))
        return NULL;
    *ret_len = n;
    return g_steal_pointer(&raw);
}

/* The start of a boot: firmware, a bootloader, the kernel's first lines, Xen's banner. */
static const char BOOT_START_RE[] =
    "SeaBIOS \\(version|BdsDxe:|UEFI firmware|Welcome to GRUB!|SYSLINUX|ISOLINUX|"
    "Linux version \\d|\\[\\s*0\\.000000\\]|Booting Linux|Xen version|EFI stub";

/*
 * EC2 keeps the last 64 KiB: a saved output of about that size (the AWS CLI's decode
 * and a cut inside a UTF-8 character move it by a few bytes) whose first 8 KiB show no
 * boot start lost its beginning.
 */
static gboolean
looks_truncated(const char *text, gsize len)
{
    static GRegex *start_re;
    g_autofree char *head = NULL;

    if (len < AMI_CONSOLE_OUTPUT_KEEP - 1024 || len > AMI_CONSOLE_OUTPUT_KEEP + 4096)
        return FALSE;
    if (g_once_init_enter(&start_re))
        g_once_init_leave(&start_re, g_regex_new(BOOT_START_RE, 0, 0, NULL));
    head = g_utf8_make_valid(text, (gssize)MIN(len, 8192));
    return !g_regex_match(start_re, head, 0, NULL);
}

static gboolean
parse_json(AmiSavedConsole *s, json_t *root, const char *what, GError **error)
{
    json_t *output = json_object_get(root, "Output");
    const char *text = json_string_value(output);
    gsize n = 0;
    char *decoded;

    if (!json_is_object(root))
        return ami_error_invalid(error, "'%s' is JSON but not get-console-output's object "
                                 "(InstanceId, Timestamp, Output)", what);
    if (!output || json_is_null(output))
        return ami_error_invalid(error, "'%s' has no Output: the instance had printed nothing "
                                 "when it was saved", what);
    if (!text)
        return ami_error_invalid(error, "'%s': Output is not a string", what);
    s->instance_id = g_strdup(json_string_value(json_object_get(root, "InstanceId")));
    if ((decoded = decode_console_base64(text, json_string_length(output), &n))) {
        s->form = AMI_SAVED_JSON_BASE64;
        s->text = decoded;
        s->len = n;
    } else {
        s->form = AMI_SAVED_JSON;
        s->len = json_string_length(output);
        s->text = g_malloc(s->len + 1);
        memcpy(s->text, text, s->len);
        s->text[s->len] = '\0';
    }
    return TRUE;
}

/* Leading whitespace and a UTF-8 byte order mark, for "does it start with '{'". */
static gsize
skip_blank(const char *data, gsize len)
{
    gsize i = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

    while (i < len && g_ascii_isspace(data[i]))
        i++;
    return i;
}

AmiSavedConsole *
ami_saved_console_parse(const char *data, gsize len, const char *what, GError **error)
{
    g_autoptr(AmiSavedConsole) s = g_new0(AmiSavedConsole, 1);
    gsize start = skip_blank(data, len), end = len, n = 0;
    char *decoded;

    if (start == len) {
        ami_error_invalid(error, "'%s' is empty: save what `aws ec2 get-console-output` printed",
                          what);
        return NULL;
    }
    while (end > start && g_ascii_isspace(data[end - 1]))
        end--;
    if (data[start] == '{') {
        json_error_t jerr;
        g_autoptr(json_t) root = json_loadb(data + start, len - start, JSON_ALLOW_NUL, &jerr);

        if (!root) {
            ami_error_invalid(error, "'%s' starts like JSON but is not: line %d: %s", what,
                              jerr.line, jerr.text);
            return NULL;
        }
        if (!parse_json(s, root, what, error))
            return NULL;
    } else if ((decoded = decode_console_base64(data + start, end - start, &n))) {
        s->form = AMI_SAVED_BASE64;
        s->text = decoded;
        s->len = n;
    } else if (!looks_like_text(data, len)) {
        ami_error_invalid(error, "'%s' is neither get-console-output's JSON, base64 nor console "
                          "text (it is binary)", what);
        return NULL;
    } else {
        s->form = AMI_SAVED_PLAIN;
        s->text = g_malloc(len + 1);
        memcpy(s->text, data, len);
        s->text[len] = '\0';
        s->len = len;
    }
    s->truncated = looks_truncated(s->text, s->len);
    return g_steal_pointer(&s);
}

/* --- signatures -------------------------------------------------------------------- */

/* In order: a later rule sees what earlier ones left (<blk> before numbers). */
static const struct {
    const char *pattern;
    const char *replacement;
} normalise_rules[] = {
    {"\\x1b\\[[0-?]*[ -/]*[@-~]|[\\x00-\\x08\\x0b-\\x1f\\x7f]", ""},
    {"^\\s*<\\d+>", ""},                              /* syslog level */
    {"\\[\\s*\\d+\\.\\d+\\]", ""},                    /* printk time */
    {"\\[\\s*\\d+\\]:", ":"},                         /* unit[pid]: */
    {"\\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\b", "<uuid>"},
    {"\\b(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}\\b", "<mac>"},
    {"\\b\\d{1,3}(?:\\.\\d{1,3}){3}\\b", "<ip>"},
    {"\\b\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2})?)?", "<date>"},
    {"\\b\\d{1,2}:\\d{2}:\\d{2}(?:[.,]\\d+)?\\b", "<time>"},
    {"\\b0x[0-9a-fA-F]+\\b", "<hex>"},
    {"\\b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{8,}\\b", "<hex>"},
    {"\\b(?:nvme\\d+n\\d+(?:p\\d+)?|xvd[a-z]{1,2}\\d*|vd[a-z]{1,2}\\d*|sd[a-z]{1,2}\\d*)\\b", "<blk>"},
    {"\\b(?:eth\\d+|ens\\d+|enp\\w+|eno\\d+)\\b", "<nic>"},
    {"\\b(?:hvc\\d+|ttyS\\d+|ttyAMA\\d+)\\b", "<con>"},
    {"\\d+", "<n>"},
    {"\\s+", " "},
};

/* Not JIT-compiled (no G_REGEX_OPTIMIZE): they see a line or two per reproduce, and
 * memcheck cannot follow PCRE2's JIT code (check-valgrind). */
static GRegex *
normalise_regex(guint i)
{
    static GRegex *compiled[G_N_ELEMENTS(normalise_rules)];
    static GMutex lock;
    GRegex *re;

    g_mutex_lock(&lock);
    if (!compiled[i]) {
        compiled[i] = g_regex_new(normalise_rules[i].pattern, 0, 0, NULL);
        g_assert(compiled[i]); /* static: tests/unit/test-repro runs every rule */
    }
    re = compiled[i];
    g_mutex_unlock(&lock);
    return re;
}

/* One pass of every rule over @cur (owned, replaced). */
static char *
normalise_pass(char *cur)
{
    for (guint i = 0; i < G_N_ELEMENTS(normalise_rules); i++) {
        char *next = g_regex_replace_literal(normalise_regex(i), cur, -1, 0,
                                             normalise_rules[i].replacement, 0, NULL);

        if (!next) /* cannot happen with valid UTF-8; keep what we have */
            continue;
        g_free(cur);
        cur = next;
    }
    return g_strstrip(cur);
}

char *
ami_signature_normalise_line(const char *line)
{
    /* GRegex must not see invalid UTF-8 (fuzz-verdict found it reading out of bounds). */
    char *cur = g_utf8_make_valid(line ? line : "", -1);

    /*
     * Until nothing changes: a rule's output can make a later match for an earlier rule
     * (fuzz-console-output: a line normalised twice differed), and a saved line and a
     * local one must meet at the same form.  Each pass only shortens or keeps the line.
     */
    for (guint pass = 0; pass < 8; pass++) {
        g_autofree char *before = g_strdup(cur);

        cur = normalise_pass(cur);
        if (strcmp(before, cur) == 0)
            break;
    }
    return cur;
}

void
ami_signature_free(AmiSignature *s)
{
    if (!s)
        return;
    g_free(s->outcome);
    g_free(s->class_id);
    g_free(s->key_line);
    g_free(s->stage);
    g_free(s);
}

AmiSignature *
ami_signature_from_verdict(const json_t *verdict, GError **error)
{
    const char *outcome = json_string_value(json_object_get(verdict, "Outcome"));
    const char *class_id = json_string_value(json_object_get(verdict, "Class"));
    const char *line = json_string_value(json_object_get(verdict, "Line"));
    AmiSignature *s;

    if (!outcome || !class_id) {
        ami_error_invalid(error, "the verdict has no Outcome or Class");
        return NULL;
    }
    s = g_new0(AmiSignature, 1);
    s->outcome = g_strdup(outcome);
    s->class_id = g_strdup(class_id);
    s->key_line = line ? ami_signature_normalise_line(line) : NULL;
    s->stage = g_strdup(json_string_value(json_object_get(verdict, "Stage")));
    return s;
}

gboolean
ami_signature_match(const AmiSignature *saved, const AmiSignature *local)
{
    return g_strcmp0(saved->outcome, local->outcome) == 0 &&
           g_strcmp0(saved->class_id, local->class_id) == 0 &&
           g_strcmp0(saved->key_line, local->key_line) == 0 &&
           (!saved->stage || g_strcmp0(saved->stage, local->stage) == 0);
}

char *
ami_signature_to_string(const AmiSignature *s)
{
    GString *out = g_string_new(s->outcome);

    if (strcmp(s->class_id, s->outcome) != 0)
        g_string_append_printf(out, " (%s)", s->class_id);
    g_string_append_printf(out, ", stage %s", s->stage ? s->stage : "unknown");
    if (s->key_line)
        g_string_append_printf(out, ": '%s'", s->key_line);
    return g_string_free(out, FALSE);
}

json_t *
ami_signature_to_json(const AmiSignature *s)
{
    return json_pack("{s:s, s:s, s:s*, s:s*}", "Outcome", s->outcome, "Class", s->class_id,
                     "KeyLine", s->key_line, "Stage", s->stage);
}

/* --- what QEMU cannot reproduce ---------------------------------------------------- */

/*
 * Xen: its PV drivers and hypervisor messages (AWS's TroubleshootingInstances taxonomy:
 * "XENBUS: Device with no driver", "XENBUS: Timeout connecting to devices", "ERROR:
 * mmu_update failed", "ERROR Invalid kernel: elf_xen_note_check", PV-GRUB's "grubdom>",
 * the hvc0 console); ENA: the Nitro NIC's driver; hardware: machine checks, EDAC and
 * EBS-side I/O errors (end_request, DRBD) that no emulated disk produces.  Only lines
 * that report a failure: "ena 0000:00:05.0: Elastic Network Adapter" and Xen's banner
 * are on every healthy Nitro or Xen console.
 */
static const struct {
    const char *what;
    const char *pattern;
} unreproducible[] = {
    {"Xen", "XENBUS: |mmu_update failed|elf_xen_note_check|grubdom>|"
            "\\b(?i:xen[-_]?\\w*:? .*(fail|error|timeout|timed out))"},
    {"ENA", "\\bena\\b.*(?i:fail|error|timeout|reset)"},
    {"hardware", "Machine check events logged|Machine Check Exception|\\[Hardware Error\\]|"
                 "EDAC \\S+: \\d+ (CE|UE) |end_request: I/O error|"
                 "IO ERROR: neither local nor remote disk"},
};

static GRegex *
unreproducible_regex(guint i)
{
    static GRegex *compiled[G_N_ELEMENTS(unreproducible)];
    static GMutex lock;
    GRegex *re;

    g_mutex_lock(&lock);
    if (!compiled[i]) {
        compiled[i] = g_regex_new(unreproducible[i].pattern, 0, 0, NULL);
        g_assert(compiled[i]);
    }
    re = compiled[i];
    g_mutex_unlock(&lock);
    return re;
}

char *
ami_console_unreproducible(const char *text, gsize len)
{
    g_autofree char *valid = g_utf8_make_valid(text, (gssize)len);
    g_auto(GStrv) lines = g_strsplit(valid, "\n", -1);

    for (char **l = lines; *l; l++) {
        for (guint i = 0; i < G_N_ELEMENTS(unreproducible); i++) {
            if (g_regex_match(unreproducible_regex(i), *l, 0, NULL)) {
                g_autofree char *clean = g_strdup(*l);

                g_strdelimit(clean, "\r\x1b", ' ');
                return g_strdup_printf("%s: '%.200s'", unreproducible[i].what, g_strstrip(clean));
            }
        }
    }
    return NULL;
}
