/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run run ami-…: boot an AMI as EC2 would and turn its console into a verdict.
 * Three steps: parse options, resolve (image, accelerator, plan, seed), execute (launch,
 * watch the console, terminate).  Exit 0 success, 1 boot failure, 3 timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/ami.h"
#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/ids.h"
#include "ami-run/import.h"
#include "ami-run/inspect.h"
#include "ami-run/launch.h"
#include "ami-run/netinfo.h"
#include "ami-run/netrewrite.h"
#include "ami-run/plan.h"
#include "ami-run/qemu-user.h"
#include "ami-run/seed.h"
#include "ami-run/toe.h"
#include "ami-run/timing.h"
#include "ami-run/verdict.h"
#include "cli.h"
#include "keypair-common.h"

typedef struct {
    char *image_id, *instance_type, *memory, *vcpus, *boot_mode, *accel, *disk_bus;
    char *ephemeral_size, *block_device_mappings, *user_data, *user_data_base64, *ssh_port;
    char *timeout, *until, *console, *connect, *hostname, *key_name, *qemu_user;
    char *network, *metadata_source, *metadata_options;
    char **ssh_keys, **success, **failure, **publish;
    int secure_boot, keep, detach, dry_run, strict;
    /* AWSTOE component documents (docs/components.md) */
    char **components, *phases;
    /* reproduce/bundle (docs/reproduce.md) */
    char *from_bundle;
    /* forensics (docs/forensics.md) */
    int keep_failed;
    int timing; /* --timing */
} RunOpts;

typedef struct {
    AmiStore *store;
    AmiImage *image;
    AmiRunPlan *plan;
    AmiSeedFiles *seed;
    AmiVerdictScanner *scanner;
    gboolean stream, strict;
    double timeout;
    char **volume_ids;
    char **ssh_keys;  /* --key-name's public key first, then --ssh-public-key's */
    char *accel_note; /* why not KVM, told once the guest is about to start */
    gboolean imds_v2; /* the image says ImdsSupport v2.0 */
    GBytes *user_data;
    json_t *instance_fields; /* record members: Placement, MetadataOptions, the NIC's */
    json_t *amirun_fields;   /* AmiRun members: Region, PublicKeys, Network */
    const char *qemu_user; /* as root: QEMU's user (borrowed), else NULL */
    gboolean quiet;        /* run-instances: no notices, the caller prints the reservation */
    AmiToeRun *toe;        /* --component: the documents, compiled; NULL without */
    AmiTiming *timing;     /* the boot's timeline (AmiRun.Timing), from the command's start */
} RunCtx;

static void
run_ctx_clear(RunCtx *c)
{
    ami_image_free(c->image);
    ami_run_plan_free(c->plan);
    ami_seed_files_free(c->seed);
    ami_verdict_scanner_free(c->scanner);
    ami_store_free(c->store);
    g_strfreev(c->volume_ids);
    g_strfreev(c->ssh_keys);
    g_free(c->accel_note);
    json_decref(c->instance_fields);
    if (c->user_data)
        g_bytes_unref(c->user_data);
    json_decref(c->amirun_fields);
    ami_toe_run_free(c->toe);
    ami_timing_free(c->timing);
}

static gboolean
parse_uint(const char *value, const char *name, guint64 min, guint64 max, guint64 *ret,
           GError **error)
{
    if (!value)
        return TRUE;
    if (!g_ascii_string_to_unsigned(value, 10, min, max, ret, NULL)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--%s '%.32s' must be a whole number from %" G_GUINT64_FORMAT " to %"
                    G_GUINT64_FORMAT, name, value, min, max);
        return FALSE;
    }
    return TRUE;
}

/* --memory takes MiB, or a G/M suffix. */
static gboolean
parse_memory(const char *value, guint64 *ret, GError **error)
{
    g_autofree char *num = NULL;
    guint64 mult = 1;
    size_t n;

    if (!value)
        return TRUE;
    n = strlen(value);
    if (n && (value[n - 1] == 'G' || value[n - 1] == 'g'))
        mult = 1024, n--;
    else if (n && (value[n - 1] == 'M' || value[n - 1] == 'm'))
        n--;
    num = g_strndup(value, n);
    if (!parse_uint(num, "memory", 1, 1048576, ret, error))
        return FALSE;
    *ret *= mult;
    if (*ret < 64) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--memory must be at least 64 MiB");
        return FALSE;
    }
    return TRUE;
}

/*
 * Strict base64 (RFC 4648 alphabet, whole groups of 4, at most two '=' of padding at
 * the end), as EC2 wants UserData; line breaks are skipped, since base64(1) wraps at 76
 * columns.  g_base64_decode() checks nothing: it would turn a typo into other bytes.
 */
static GBytes *
decode_base64_strict(const char *text, GError **error)
{
    g_autoptr(GString) clean = g_string_new(NULL);
    gsize n, data, len = 0;
    gboolean valid;
    guchar *raw;

    for (const char *p = text; *p; p++) {
        if (*p != '\n' && *p != '\r')
            g_string_append_c(clean, *p);
    }
    n = clean->len;
    for (data = n; data > 0 && n - data < 2 && clean->str[data - 1] == '='; data--)
        ;
    valid = n % 4 == 0;
    for (gsize i = 0; valid && i < data; i++)
        valid = g_ascii_isalnum(clean->str[i]) || clean->str[i] == '+' || clean->str[i] == '/';
    if (!valid) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--user-data-base64 is not valid base64 (A-Z a-z 0-9 + /, groups of 4, "
                    "'=' padding at the end)");
        return NULL;
    }
    raw = g_base64_decode(clean->str, &len);
    return g_bytes_new_take(raw, len);
}

static GBytes *
read_user_data(const RunOpts *o, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    if (o->user_data && o->user_data_base64) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "give --user-data or --user-data-base64, not both");
        return NULL;
    }
    if (o->user_data_base64)
        return decode_base64_strict(o->user_data_base64, error);
    if (!o->user_data)
        return NULL;
    if (strcmp(o->user_data, "-") == 0) {
        g_autoptr(GByteArray) buf = g_byte_array_new();
        guint8 chunk[4096];
        size_t n;

        while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0 && buf->len <= AMI_USER_DATA_MAX)
            g_byte_array_append(buf, chunk, (guint)n);
        return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
    }
    if (!g_file_get_contents(o->user_data, &data, &len, NULL)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--user-data '%s': %s", o->user_data,
                    g_strerror(errno));
        return NULL;
    }
    return g_bytes_new_take(g_steal_pointer(&data), len);
}

static gboolean
snapshot_lookup(const char *snapshot_id, AmiSnapshotInfo *ret, gpointer data)
{
    AmiStore *store = data;
    g_autoptr(json_t) rec = ami_store_load_snapshot(store, snapshot_id, NULL);

    if (!rec)
        return FALSE;
    ret->path = ami_store_snapshot_path(store, snapshot_id);
    ret->size_gib = ami_snapshot_size_gib(rec);
    ret->chain = ami_snapshot_chain_paths(store, rec);
    return TRUE;
}

static char *
random_mac(void)
{
    guint32 r = g_random_int();

    /* 52:54:00 is QEMU's locally administered prefix. */
    return g_strdup_printf("52:54:00:%02x:%02x:%02x", r & 0xff, (r >> 8) & 0xff, (r >> 16) & 0xff);
}

/*
 * Read-only: resolving creates nothing and changes nothing, so a rejected run leaves the
 * store as it was and --dry-run "creates nothing" even against a missing store.  A dry
 * run does not take the lock either (taking it may finish another command's journal).
 */
static gboolean
load_image(const Cli *cli, RunCtx *c, const char *image_id, gboolean dry_run, GError **error)
{
    g_autoptr(json_t) json = NULL;
    g_autoptr(GError) local = NULL;
    const char *deprecation;
    g_autoptr(GDateTime) when = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    if (!(c->store = cli_open_store(cli, FALSE, &local))) {
        g_autofree char *shown = g_strescape(image_id, NULL);

        if (local)
            g_propagate_error(error, g_steal_pointer(&local));
        else
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                        "Image '%.80s' does not exist in the store (there is no store at '%s' yet)",
                        shown, cli->store_path);
        return FALSE;
    }
    if (!dry_run && !ami_store_lock(c->store, error))
        return FALSE;
    json = ami_store_find_image(c->store, image_id, error);
    ami_store_unlock(c->store);
    if (!json || !(c->image = ami_image_parse(json, error)))
        return FALSE;
    c->imds_v2 = g_strcmp0(json_string_value(json_object_get(json, "ImdsSupport")), "v2.0") == 0;
    deprecation = json_string_value(json_object_get(json, "DeprecationTime"));
    if (deprecation && (when = ami_timestamp_parse(deprecation)) &&
        g_date_time_compare(when, now) <= 0)
        cli_notice(cli, "image %s is deprecated since %s; running it anyway", image_id, deprecation);
    if (c->image->windows)
        cli_notice(cli, "image %s is Windows: EC2 Windows AMIs usually lack virtio drivers; "
                   "try --disk-bus sata or nvme", image_id);
    return TRUE;
}

/*
 * --key-name: the key pair's public key goes first in the seed's public-keys (and IMDS
 * public-keys/0), as EC2 puts the launch key pair there.  Read-only, like load_image().
 */
static gboolean
resolve_key(const RunOpts *o, RunCtx *c, GError **error)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);

    if (o->key_name) {
        g_autoptr(json_t) kp = cli_key_pair_find(c->store, o->key_name, error);
        const char *pub = json_string_value(json_object_get(kp, "PublicKey"));

        if (!kp)
            return FALSE;
        if (!pub) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                        "Key pair '%s' has no PublicKey, the store is corrupted", o->key_name);
            return FALSE;
        }
        g_ptr_array_add(keys, g_strdup(pub));
    }
    for (char **k = o->ssh_keys; k && *k; k++)
        g_ptr_array_add(keys, g_strdup(*k));
    g_ptr_array_add(keys, NULL);
    c->ssh_keys = (char **)g_ptr_array_free(g_steal_pointer(&keys), FALSE);
    return TRUE;
}

/* The network choices of one run (docs/network.md), checked before anything is made. */
typedef struct {
    AmiNetMode mode;
    AmiMetadataSource source;
    const char *region;
    json_t *metadata_options;
    GArray *publish; /* guint16 pairs: host, guest */
} NetChoice;

static void
net_choice_clear(NetChoice *n)
{
    json_decref(n->metadata_options);
    if (n->publish)
        g_array_unref(n->publish);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NetChoice, net_choice_clear)

static gboolean
parse_publish(char **items, GArray *out, GError **error)
{
    for (char **i = items; i && *i; i++) {
        g_auto(GStrv) parts = g_strsplit(*i, ":", -1);
        guint64 host, guest;

        if (g_strv_length(parts) != 2 ||
            !g_ascii_string_to_unsigned(parts[0], 10, 1, 65535, &host, NULL) ||
            !g_ascii_string_to_unsigned(parts[1], 10, 1, 65535, &guest, NULL))
            return ami_error_invalid(error, "--publish '%.40s' must be HOSTPORT:GUESTPORT "
                                     "(1-65535 each)", *i);
        g_array_append_val(out, host);
        g_array_append_val(out, guest);
    }
    return TRUE;
}

/*
 * The NIC: ami-run's own network, except with --connect (another libvirt's QEMU cannot
 * reach our socket) and AMI_RUN_NET=builtin (bench: QEMU's built-in -netdev user).
 */
static gboolean
resolve_network(const Cli *cli, const RunOpts *o, RunCtx *c, AmiPlanOptions *po, NetChoice *n,
                GError **error)
{
    gboolean builtin = g_strcmp0(g_getenv("AMI_RUN_NET"), "builtin") == 0 || o->connect;

    n->region = ami_region_pick(cli->region, g_getenv("AWS_REGION"),
                                g_getenv("AWS_DEFAULT_REGION"));
    if (!ami_region_check(n->region, error))
        return FALSE;
    if (o->network && !ami_net_mode_from_string(o->network, &n->mode))
        return ami_error_invalid(error, "--network must be nat, isolated or none");
    if (o->metadata_source && !ami_metadata_source_from_string(o->metadata_source, &n->source))
        return ami_error_invalid(error, "--metadata-source must be both, imds or nocloud");
    n->publish = g_array_new(FALSE, FALSE, sizeof(guint64));
    if (!parse_publish(o->publish, n->publish, error))
        return FALSE;
    n->metadata_options = ami_metadata_options_parse(o->metadata_options,
                                                     c->imds_v2 ? "required" : "optional", error);
    if (!n->metadata_options)
        return FALSE;
    po->nic = n->mode == AMI_NET_MODE_NONE ? AMI_NIC_NONE : builtin ? AMI_NIC_BUILTIN : AMI_NIC_OWN;
    if (po->nic != AMI_NIC_OWN && n->source == AMI_METADATA_IMDS)
        return ami_error_invalid(error, "--metadata-source imds needs ami-run's own network (not "
                                 "with --network none or --connect)");
    if (po->nic != AMI_NIC_OWN && (n->publish->len || n->mode == AMI_NET_MODE_ISOLATED))
        return ami_error_invalid(error, "--publish and --network isolated need ami-run's own "
                                 "network (not with --network none or --connect)");
    if (po->nic == AMI_NIC_NONE && po->ssh_port)
        return ami_error_invalid(error, "--ssh-port needs a network (not with --network none)");
    if (o->connect)
        cli_notice(cli, "no IMDS with --connect; NoCloud only");
    po->no_seed = n->source == AMI_METADATA_IMDS;
    return TRUE;
}

static json_t *
forward_json(guint32 addr, guint64 host, guint64 guest, gboolean optional)
{
    g_autofree char *ip = ami_net_ipv4_to_string(addr);

    return json_pack("{s:s, s:I, s:I, s:b}", "HostIp", ip, "HostPort", (json_int_t)host,
                     "GuestPort", (json_int_t)guest, "Optional", optional);
}

/*
 * Where the host reaches the guest: its PublicIpAddress (127.100.X.Y) port 22 when we
 * are root (tolerated when a host service has it), --ssh-port on 127.0.0.1 (as before)
 * and, not as root, on the public address, and every --publish there.
 */
static json_t *
forwards_json(const NetChoice *n, guint32 public_ip, int ssh_port)
{
    json_t *out = json_array();

    if (getuid() == 0)
        json_array_append_new(out, forward_json(public_ip, 22, 22, TRUE));
    if (ssh_port) {
        json_array_append_new(out, forward_json(0x7f000001u, (guint64)ssh_port, 22, FALSE));
        if (getuid() != 0)
            json_array_append_new(out, forward_json(public_ip, (guint64)ssh_port, 22, FALSE));
    }
    for (guint i = 0; i + 1 < n->publish->len; i += 2)
        json_array_append_new(out, forward_json(public_ip, g_array_index(n->publish, guint64, i),
                                                g_array_index(n->publish, guint64, i + 1), FALSE));
    return out;
}

/* What the record says about the network (EC2's members, and AmiRun's for hosting it). */
static gboolean
record_network(RunCtx *c, const NetChoice *n, GBytes *user_data,
               GError **error)
{
    const AmiRunPlan *p = c->plan;
    g_autofree char *zone = ami_region_zone(n->region);
    json_t *keys = json_array();
    json_t *net = json_pack("{s:s, s:s, s:s}", "Mode", ami_net_mode_to_string(n->mode), "Nic",
                            ami_nic_to_string(p->nic), "MetadataSource",
                            ami_metadata_source_to_string(n->source));

    (void)error;
    for (char **k = c->ssh_keys; k && *k; k++)
        json_array_append_new(keys, json_string(*k));
    c->user_data = user_data ? g_bytes_ref(user_data) : NULL;
    c->instance_fields = json_pack("{s:{s:s, s:s, s:s}, s:O}", "Placement", "AvailabilityZone",
                                   zone, "GroupName", "", "Tenancy", "default", "MetadataOptions",
                                   n->metadata_options);
    c->amirun_fields = json_pack("{s:s, s:o, s:o}", "Region", n->region, "PublicKeys", keys,
                                 "Network", net);
    if (p->ssh_port)
        json_object_set_new(net, "SshPort", json_integer(p->ssh_port));
    if (p->nic == AMI_NIC_OWN) {
        AmiNetLayout layout;
        AmiNetFacts facts = {.instance_id = p->instance_id, .mac = p->mac, .region = n->region,
                             .public_ip = ami_net_public_ip_for(p->instance_id)};
        g_autofree char *pub = ami_net_ipv4_to_string(facts.public_ip);

        ami_net_layout_for(p->instance_id, &layout);
        facts.private_ip = layout.guest;
        json_object_update_new(c->instance_fields, ami_net_instance_fields(&facts));
        json_object_set_new(net, "PublicIp", json_string(pub));
        json_object_set_new(net, "Forwards", forwards_json(n, facts.public_ip, p->ssh_port));
    }
    return TRUE;
}

/* What a supervisor needs to build the same scanner again (AmiRun.VerdictOptions). */
static json_t *
verdict_options_json(const RunOpts *o, const AmiVerdictOptions *vo, const char *root_hint,
                     guint64 timeout)
{
    json_t *success = json_array(), *failure = json_array();

    for (char **r = o->success; r && *r; r++)
        json_array_append_new(success, json_string(*r));
    for (char **r = o->failure; r && *r; r++)
        json_array_append_new(failure, json_string(*r));
    return json_pack("{s:s*, s:b, s:b, s:o, s:o, s:b, s:s*, s:I}", "Until", o->until, "UserData",
                     vo->user_data, "UserDataScript", vo->user_data_script, "Success", success,
                     "Failure", failure, "Strict", vo->strict, "RootDeviceHint", root_hint,
                     "Timeout", (json_int_t)timeout);
}

static const char *const toe_success[] = {AMI_TOE_END_RE, NULL};

/*
 * --component: every document validated and compiled before anything boots (exit 2,
 * FILE:LINE:COL).  The documents become the user data, and the runner's final frame the
 * success condition, so the options that set either are refused.
 */
static gboolean
resolve_components(const RunOpts *o, RunCtx *c, GError **error)
{
    g_auto(GStrv) phases = NULL;

    if (!o->components) {
        if (o->phases)
            return ami_error_invalid(error, "--phases needs --component");
        return TRUE;
    }
    if (o->user_data || o->user_data_base64)
        return ami_error_invalid(error, "--component runs the documents as the user data: not with --user-data");
    if (o->success || o->until)
        return ami_error_invalid(error, "--component: the documents' end is the success condition: not with --success or --until");
    if (o->detach > 0 || o->keep > 0)
        return ami_error_invalid(error, "--component needs the foreground run: not with --detach or --keep");
    if (o->phases) {
        phases = g_strsplit(o->phases, ",", -1);
        for (char **p = phases; *p; p++) {
            if (!*g_strstrip(*p))
                return ami_error_invalid(error, "--phases '%s': an empty phase name", o->phases);
        }
    }
    c->toe = ami_toe_run_new((const char *const *)phases);
    for (char **f = o->components; *f; f++) {
        g_autofree char *text = NULL;
        gsize len = 0;
        g_autoptr(GError) local = NULL;

        if (!g_file_get_contents(*f, &text, &len, &local))
            return ami_error_invalid(error, "--component '%s': %s", *f, local->message);
        if (!ami_toe_run_add_document(c->toe, *f, text, len, error))
            return FALSE;
    }
    return TRUE;
}

/*
 * What `bundle` needs for `run --from-bundle` to boot the same plan again: the sizes
 * and options that are not in the record's EC2 members (AmiRun.RunOptions).
 */
static json_t *
run_options_json(const RunOpts *o, const AmiVerdictOptions *vo, const AmiRunPlan *plan,
                 guint64 timeout)
{
    json_t *j = verdict_options_json(o, vo, NULL, timeout);

    json_object_del(j, "RootDeviceHint");
    json_object_set_new(j, "MemoryMiB", json_integer((json_int_t)plan->memory_mib));
    json_object_set_new(j, "Vcpus", json_integer(plan->vcpus));
    json_object_set_new(j, "SecureBoot", json_boolean(plan->secure_boot));
    /* Only an explicit --disk-bus: from the type, the verdict's NVMe hint says so. */
    if (o->disk_bus)
        json_object_set_new(j, "DiskBus", json_string(o->disk_bus));
    return j;
}

static gboolean
resolve(const Cli *cli, const RunOpts *o, RunCtx *c, GError **error)
{
    g_autofree char *instance_id = ami_id_new(AMI_ID_INSTANCE);
    g_autofree char *dir = NULL;
    g_autofree char *mac = random_mac();
    g_autofree char *why = NULL;
    g_autoptr(json_t) overrides = NULL;
    g_autoptr(GBytes) user_data = NULL;
    g_autofree char *root_hint = NULL;
    guint64 vcpus = 0, memory = 0, ephemeral = 0, ssh_port = 0, timeout = 600;
    AmiPlanOptions po = {0};
    AmiVerdictOptions vo = {0};
    g_auto(NetChoice) net = {0};
    AmiAccel accel = AMI_ACCEL_AUTO;
    int resolved = AMI_ACCEL_TCG;

    po.boot_mode = AMI_BOOT_MODE_LAST;
    po.disk_bus = AMI_BUS_LAST; /* from the instance type: Nitro NVMe, Xen virtio */
    if (!parse_uint(o->vcpus, "vcpus", 1, 64, &vcpus, error) || !parse_memory(o->memory, &memory, error) ||
        !parse_uint(o->ephemeral_size, "ephemeral-size", 1, 65536, &ephemeral, error) ||
        !parse_uint(o->ssh_port, "ssh-port", 1, 65535, &ssh_port, error) ||
        !parse_uint(o->timeout, "timeout", 1, 86400, &timeout, error))
        return FALSE;
    if (o->boot_mode && !ami_boot_mode_from_string(o->boot_mode, &po.boot_mode)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--boot-mode '%.32s' is not one of legacy-bios, uefi, uefi-preferred", o->boot_mode);
        return FALSE;
    }
    if (o->accel && !ami_accel_from_string(o->accel, &accel)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--accel must be kvm, tcg or auto");
        return FALSE;
    }
    if (o->disk_bus && !ami_disk_bus_from_string(o->disk_bus, &po.disk_bus)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--disk-bus must be virtio, nvme or sata");
        return FALSE;
    }
    if (o->until && !ami_until_from_string(o->until, &vo.until)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--until must be login, cloud-init or shutdown");
        return FALSE;
    }
    if (o->console && strcmp(o->console, "stream") != 0 && strcmp(o->console, "quiet") != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--console must be stream or quiet");
        return FALSE;
    }
    if (o->block_device_mappings &&
        !(overrides = cli_struct_arg(o->block_device_mappings, "block-device-mappings", error)))
        return FALSE;
    if (json_is_object(overrides)) { /* one mapping in shorthand: a list of one */
        json_t *list = json_array();

        json_array_append_new(list, g_steal_pointer(&overrides));
        overrides = list;
    }
    cli_bdm_coerce(overrides);
    if (overrides && !json_is_array(overrides)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--block-device-mappings must be a list");
        return FALSE;
    }
    if ((o->user_data || o->user_data_base64) && !(user_data = read_user_data(o, error)))
        return FALSE;
    if (!resolve_components(o, c, error))
        return FALSE;
    if (!load_image(cli, c, o->image_id, o->dry_run > 0, error) || !resolve_key(o, c, error))
        return FALSE;

    if (!ami_accel_resolve("", accel, c->image->arch == AMI_ARCH_LAST ? AMI_ARCH_X86_64 : c->image->arch,
                           &resolved, &why, error))
        return FALSE;
    c->accel_note = g_steal_pointer(&why);

    c->volume_ids = g_new0(char *, c->image->bdms->len + json_array_size(overrides) + 1);
    for (guint i = 0; i < c->image->bdms->len + json_array_size(overrides); i++)
        c->volume_ids[i] = ami_id_new(AMI_ID_VOLUME);
    dir = g_build_filename(ami_store_path(c->store), "instances", instance_id, NULL);
    po.instance_id = instance_id;
    po.instance_dir = dir;
    po.mac = mac;
    po.instance_type = o->instance_type;
    po.vcpus = (guint)vcpus;
    po.memory_mib = memory;
    po.secure_boot = o->secure_boot > 0;
    po.accel = (AmiAccel)resolved;
    po.ephemeral_gib = (gint64)ephemeral;
    po.bdm_overrides = overrides;
    po.ssh_port = (int)ssh_port;
    po.key_name = o->key_name;
    if (!resolve_network(cli, o, c, &po, &net, error))
        return FALSE;
    po.volume_ids = c->volume_ids;
    po.lookup = snapshot_lookup;
    po.lookup_data = c->store;
    if (!(c->plan = ami_plan_build(c->image, &po, error)) ||
        !record_network(c, &net, user_data, error))
        return FALSE;
    /* What the seed was made of, so modify-instance-attribute --user-data can remake it. */
    json_object_set_new(c->amirun_fields, "SeedMac", json_string(mac));
    if (o->hostname)
        json_object_set_new(c->amirun_fields, "Hostname", json_string(o->hostname));
    for (guint i = 0; !c->quiet && c->plan->notices && i < c->plan->notices->len; i++)
        cli_notice(cli, "%s", (const char *)c->plan->notices->pdata[i]);

    if (c->toe && !(user_data = ami_toe_user_data(c->toe, instance_id, error)))
        return FALSE;
    {
        AmiSeedSpec ss = {.instance_id = instance_id, .hostname = o->hostname,
                          .ssh_keys = (const char *const *)c->ssh_keys, .mac = mac,
                          .user_data = user_data};
        if (!(c->seed = ami_seed_files_build(&ss, error)))
            return FALSE;
    }
    /* Empty user data is none, as on EC2: nothing can run, so nothing is claimed of it. */
    vo.user_data = user_data && g_bytes_get_size(user_data) > 0;
    vo.user_data_script =
        vo.user_data && ami_verdict_user_data_is_script(g_bytes_get_data(user_data, NULL),
                                                        g_bytes_get_size(user_data));
    vo.success = (const char *const *)o->success;
    if (c->toe) /* the runner's final frame: the steps have all reported */
        vo.success = toe_success;
    vo.failure = (const char *const *)o->failure;
    vo.strict = o->strict > 0;
    root_hint = ami_plan_root_device_hint(c->plan);
    vo.root_device_hint = root_hint;
    if (!(c->scanner = ami_verdict_scanner_new(&vo, error)))
        return FALSE;
    c->stream = !o->console || strcmp(o->console, "stream") == 0;
    c->strict = vo.strict;
    c->timeout = (double)timeout;
    if (o->detach > 0) /* its supervisor scans the console into the verdict (cmd-supervise.c) */
        json_object_set_new(c->amirun_fields, "VerdictOptions",
                            verdict_options_json(o, &vo, root_hint, timeout));
    json_object_set_new(c->amirun_fields, "RunOptions", run_options_json(o, &vo, c->plan, timeout));
    return TRUE;
}

static gboolean
dry_run(const Cli *cli, RunCtx *c, GError **error)
{
    if (cli->output == CLI_OUTPUT_XML) {
        g_autofree char *xml = ami_domain_xml_render(c->plan, error);

        if (!xml)
            return FALSE;
        fputs(xml, stdout);
        return TRUE;
    }
    {
        g_autoptr(json_t) j = ami_plan_to_json(c->plan);

        /* What the seed's meta-data will say (instance id, hostname, public keys). */
        json_object_set_new(j, "SeedMetaData", json_string(c->seed->meta_data));
        /* What the record will say about the network, IMDS and placement. */
        json_object_set(j, "Instance", c->instance_fields);
        json_object_set(j, "AmiRun", c->amirun_fields);
        cli_print(cli, j);
    }
    return TRUE;
}

static void
report(const Cli *cli, RunCtx *c, const char *instance_id)
{
    const AmiVerdict *v = ami_verdict_get(c->scanner);
    g_autofree char *line = ami_verdict_summary(v);

    fflush(stdout);
    if (c->stream)
        fputc('\n', stderr);
    fprintf(stderr, "ami-run: %s: %s: %s\n", cli->verb, instance_id, line);
    for (guint i = 0; i < v->matches->len; i++) {
        const AmiVerdictMatch *m = v->matches->pdata[i];

        fprintf(stderr, "ami-run: %s: %s: %s %s%s%s%s at %.1f s, console byte %" G_GUINT64_FORMAT
                ": '%s'\n", cli->verb, instance_id, m->recorded ? "recorded" : "fatal", m->class_id,
                m->detail ? " (" : "", m->detail ? m->detail : "", m->detail ? ")" : "",
                m->seconds, m->offset, m->line);
    }
    if (v->unlisted)
        fprintf(stderr, "ami-run: %s: %s: %u less severe matches not listed (see the console log)\n",
                cli->verb, instance_id, v->unlisted);
    if (v->outcome == AMI_OUTCOME_FAILURE && ami_inspect_explains(v->class_id))
        fprintf(stderr, "ami-run: %s: %s: the image's disk may show why: ami-run inspect %s "
                "(boot entries, initramfs drivers, fstab, cloud-init; read-only)\n", cli->verb,
                instance_id, c->plan->image_id);
    if (v->outcome != AMI_OUTCOME_SUCCESS) {
        g_auto(GStrv) tail = ami_verdict_tail(c->scanner, 30);

        if (v->stage)
            fprintf(stderr, "ami-run: %s: last boot stage seen: %s\n", cli->verb, v->stage);
        fprintf(stderr, "ami-run: %s: last console lines:\n", cli->verb);
        for (char **l = tail; *l; l++)
            fprintf(stderr, "  | %s\n", *l);
    }
    fprintf(stderr, "ami-run: %s: console log: ami-run get-console-output --instance-id %s\n",
            cli->verb, instance_id);
}

/* The instance record's AmiRun.Verdict: the verdict, and every match (docs/run.md). */
static json_t *
verdict_json(RunCtx *c)
{
    return ami_verdict_to_json(ami_verdict_get(c->scanner), c->strict);
}

/*
 * Where the console and the guest's state come from: the launch in this process, or
 * (--keep) the instance's files, while its supervisor holds the guest.
 */
typedef struct {
    AmiLaunch *launch; /* in-process */
    AmiStore *store;   /* supervised */
    const char *instance_id;
    const char *console_path;
    int fd;
    gint64 next_poll;
} Watch;

static gssize
watch_read(Watch *w, char *buf, size_t len)
{
    gssize n;

    if (w->launch)
        return ami_launch_read_console(w->launch, buf, len);
    if (w->fd < 0 && (w->fd = open(w->console_path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    do {
        n = read(w->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? 0 : n;
}

static gboolean
watch_guest_stopped(Watch *w)
{
    g_autoptr(json_t) r = NULL;

    if (w->launch)
        return ami_launch_guest_stopped(w->launch);
    if (g_get_monotonic_time() < w->next_poll)
        return FALSE;
    w->next_poll = g_get_monotonic_time() + 500 * 1000;
    r = ami_instance_load(w->store, w->instance_id, NULL);
    return !r || ami_instance_state(r) != AMI_INSTANCE_RUNNING;
}

/* Watch the console until a verdict, the guest stops, the deadline, or a signal. */
static AmiOutcome
watch(RunCtx *c, Watch *w, gint64 start)
{
    char buf[65536];

    for (;;) {
        double t = (g_get_monotonic_time() - start) / 1e6;
        gboolean any = FALSE;
        gssize n;

        while ((n = watch_read(w, buf, sizeof(buf))) > 0) {
            any = TRUE;
            ami_clock_mark(c->timing, AMI_PHASE_FIRST_CONSOLE_BYTE); /* the first one stays */
            if (c->stream)
                fwrite(buf, 1, (size_t)n, stdout);
            if (ami_verdict_feed(c->scanner, buf, (size_t)n, t) != AMI_OUTCOME_RUNNING) {
                fflush(stdout);
                return ami_verdict_get(c->scanner)->outcome;
            }
        }
        if (any && c->stream)
            fflush(stdout);
        /* Nothing new for one poll interval: the console stopped, maybe at a prompt. */
        if (!any && ami_verdict_quiet(c->scanner, t) != AMI_OUTCOME_RUNNING)
            return ami_verdict_get(c->scanner)->outcome;
        if (ami_signals_pending())
            return AMI_OUTCOME_RUNNING;
        if (watch_guest_stopped(w))
            return ami_verdict_guest_stopped(c->scanner, t);
        if (t >= c->timeout)
            return ami_verdict_deadline(c->scanner, t);
        g_usleep(50 * 1000);
    }
}

/*
 * The verdict is in: the timeline gets its moment and the stages the scanner saw, whose
 * times count from @start (the watch's), not from the command's start.
 */
static void
note_verdict(RunCtx *c, gint64 start)
{
    ami_clock_mark(c->timing, AMI_PHASE_VERDICT);
    ami_timing_set_stages(c->timing, ami_verdict_get(c->scanner),
                          (double)(start - ami_timing_origin(c->timing)) / G_USEC_PER_SEC);
}

/*
 * --timing: the timeline on stderr, after the verdict and the teardown (docs/run.md
 * "Timing"): one line per phase and stage, by time, with the time since the line before.
 */
static void
print_timing(const Cli *cli, const RunCtx *c, const json_t *timing)
{
    g_autofree char *text = ami_timing_format(timing);

    fprintf(stderr, "ami-run: %s: %s: timing (seconds since the command started; + since the "
            "line before):\n%s", cli->verb, c->plan->instance_id, text);
}

static gboolean
outcome_error(RunCtx *c, AmiOutcome outcome, GError **error)
{
    if (outcome == AMI_OUTCOME_SUCCESS)
        return TRUE;
    g_set_error(error, AMI_ERROR, outcome == AMI_OUTCOME_TIMEOUT ? AMI_ERROR_TIMEOUT : AMI_ERROR_BOOT,
                "%s: %s", c->plan->instance_id, ami_verdict_get(c->scanner)->class_id);
    return FALSE;
}

static void
print_instance(const Cli *cli, RunCtx *c)
{
    g_autoptr(json_t) r = ami_instance_load(c->store, c->plan->instance_id, NULL);
    g_autofree char *reservation = g_strdup_printf("r-%s", c->plan->instance_id + 2);
    g_autoptr(json_t) out = json_pack("{s:[], s:[O?], s:s, s:s}", "Groups", "Instances", r,
                                      "OwnerId", AMI_STORE_OWNER_ID, "ReservationId", reservation);

    cli_print(cli, out);
}

/* --detach / --keep: a supervisor holds the guest; we only watch its files. */
static gboolean
execute_supervised(const Cli *cli, RunCtx *c, const RunOpts *o, AmiLaunch *launch,
                   GError **error)
{
    const char *id = c->plan->instance_id;
    gboolean detach = o->detach > 0;
    Watch w = {.store = c->store, .instance_id = id, .console_path = c->plan->console_path, .fd = -1};
    gint64 start = g_get_monotonic_time();
    AmiOutcome outcome;

    if (!ami_launch_detach(launch, error))
        return FALSE;
    if (c->quiet)
        return TRUE;
    cli_notice(cli, "%s: started from %s (%s, %s, %s)%s", id, c->plan->image_id,
               c->plan->instance_type, ami_firmware_to_string(c->plan->firmware),
               ami_accel_to_string(c->plan->accel), detach ? ", detached" : "; console follows");
    if (detach) {
        print_instance(cli, c);
        cli_notice(cli, "%s: console: ami-run get-console-output --instance-id %s; end it: "
                   "ami-run terminate-instances --instance-ids %s", id, id, id);
        return TRUE;
    }
    outcome = watch(c, &w, start);
    if (w.fd >= 0)
        close(w.fd);
    if (outcome == AMI_OUTCOME_RUNNING) { /* a signal before the verdict: not kept */
        int sig = ami_signals_pending();

        ami_signals_clear(); /* so the wait below is not cut short */
        cli_instance_terminate(c->store, id, NULL);
        g_set_error(error, AMI_ERROR, AMI_ERROR_CANCELLED, "Interrupted by %s; %s terminated",
                    sig == SIGINT ? "Ctrl-C" : g_strsignal(sig), id);
        return FALSE;
    }
    note_verdict(c, start);
    report(cli, c, id);
    {
        g_autoptr(json_t) verdict = verdict_json(c);
        g_autoptr(GError) local = NULL;

        if (!ami_instance_set_verdict(c->store, id, verdict, &local) ||
            !ami_instance_set_timing(c->store, id, c->timing, &local))
            cli_notice(cli, "%s: the verdict is not in its record: %s, ignoring", id, local->message);
    }
    if (o->timing > 0) {
        g_autoptr(json_t) timing = ami_timing_to_json(c->timing);

        print_timing(cli, c, timing);
    }
    cli_notice(cli, "%s: kept running (--keep); end it: ami-run terminate-instances "
               "--instance-ids %s", id, id);
    return outcome_error(c, outcome, error);
}

/*
 * --component: the runner's frames from the console log → AmiRun.Components, one line per
 * document on stderr; a Failed document makes the verdict component-failed, naming the
 * step.  Returns that step's description (caller owns), or NULL.
 */
static char *
record_components(const Cli *cli, RunCtx *c, AmiLaunch *launch, json_t *verdict)
{
    g_autofree char *console = NULL;
    gsize len = 0;
    gboolean finished = FALSE;
    char *failure = NULL;
    g_autoptr(json_t) components = NULL;
    size_t i;
    json_t *doc;

    g_file_get_contents(c->plan->console_path, &console, &len, NULL);
    components = ami_toe_results(c->toe, c->plan->instance_id, console ? console : "", len,
                                 &finished, &failure);
    ami_launch_set_amirun(launch, "Components", components);
    json_array_foreach(components, i, doc) {
        json_t *ph, *st;
        size_t j, k;
        guint counts[4] = {0};
        static const char *const names[] = {"Success", "Failed", "Ignored", "Skipped"};

        json_array_foreach(json_object_get(doc, "Phases"), j, ph) {
            json_array_foreach(json_object_get(ph, "Steps"), k, st) {
                const char *s = json_string_value(json_object_get(st, "Status"));

                for (guint n = 0; n < 4; n++)
                    counts[n] += g_strcmp0(s, names[n]) == 0;
                if (g_strcmp0(s, "Failed") == 0 || g_strcmp0(s, "Ignored") == 0)
                    fprintf(stderr, "ami-run: %s: %s: component '%s' %s/%s: %s: %s\n", cli->verb,
                            c->plan->instance_id, json_string_value(json_object_get(doc, "Name")),
                            json_string_value(json_object_get(ph, "Name")),
                            json_string_value(json_object_get(st, "Name")), s,
                            json_string_value(json_object_get(st, "FailureMessage")));
            }
        }
        fprintf(stderr, "ami-run: %s: %s: component '%s': %s (%u succeeded, %u failed, %u ignored, "
                "%u skipped)\n", cli->verb, c->plan->instance_id,
                json_string_value(json_object_get(doc, "Name")),
                json_string_value(json_object_get(doc, "Status")), counts[0], counts[1], counts[2],
                counts[3]);
    }
    if (failure && json_is_object(verdict) &&
        g_strcmp0(json_string_value(json_object_get(verdict, "Outcome")), "success") == 0) {
        json_object_set_new(verdict, "Outcome", json_string("failure"));
        json_object_set_new(verdict, "Class", json_string("component-failed"));
        json_object_set_new(verdict, "Detail", json_string(failure));
    }
    if (!finished)
        fprintf(stderr, "ami-run: %s: %s: the component runner did not finish (no final frame on the console)\n",
                cli->verb, c->plan->instance_id);
    return failure;
}

/* How long a guest in userspace gets to shut down, so its logs reach its disk. */
#define KEEP_FAILED_SHUTDOWN_S 30

/*
 * --keep-failed: stop the failed instance instead of terminating it, so `logs` can read
 * its volumes.  A guest that reached userspace is asked to power off first (ACPI), so
 * that what journald and cloud-init wrote is on the disk and not only in its page cache;
 * one that never got there (a panic, no root) has nothing to flush and stops at once.
 */
static void
keep_failed(const Cli *cli, RunCtx *c, AmiLaunch *launch)
{
    const char *stage = ami_verdict_get(c->scanner)->stage;
    const char *id = c->plan->instance_id;

    if (stage && (g_str_has_prefix(stage, "userspace") || g_str_has_prefix(stage, "cloud-init")) &&
        !ami_launch_guest_stopped(launch) && ami_launch_shutdown(launch, NULL)) {
        gint64 end = g_get_monotonic_time() + KEEP_FAILED_SHUTDOWN_S * G_USEC_PER_SEC;
        char buf[4096];

        while (!ami_launch_guest_stopped(launch) && !ami_signals_pending() &&
               g_get_monotonic_time() < end) {
            ami_launch_read_console(launch, buf, sizeof(buf)); /* kept in console.log */
            g_usleep(100 * 1000);
        }
    }
    ami_launch_stop(launch, "the run failed (--keep-failed)");
    cli_notice(cli, "%s: kept stopped with its volumes (--keep-failed): ami-run logs %s; end it: "
               "ami-run terminate-instances --instance-ids %s", id, id, id);
}

static gboolean
execute(const Cli *cli, RunCtx *c, const RunOpts *o, GError **error)
{
    g_autofree char *now = ami_now_iso8601();
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    AmiLaunchSpec spec = {.store = c->store, .plan = c->plan, .image = c->image, .seed = c->seed,
                          .connect_uri = o->connect, .self_exe = self, .now = now,
                          .user_data = c->user_data, .instance_fields = c->instance_fields,
                          .amirun_fields = c->amirun_fields, .qemu_user = c->qemu_user};
    g_autoptr(json_t) verdict = NULL;
    g_autofree char *component_failure = NULL;
    AmiLaunch *launch;
    AmiOutcome outcome;
    Watch w = {.fd = -1};
    gint64 start = g_get_monotonic_time();

    /*
     * NitroTPM: swtpm runs as us, and with dynamic_ownership = 0 libvirt leaves its socket
     * root's 0600, which QEMU's user cannot connect to (and swtpm_setup as that user cannot
     * sign with /var/lib/swtpm-localca).  QEMU never runs as root unless asked: refused
     * before anything is made, naming the way to ask.
     */
    if (c->plan->tpm && c->qemu_user && getuid() == 0 && strcmp(c->qemu_user, "root") != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "TpmSupport v2.0: swtpm cannot run as '%s' yet (docs/run.md \"Security layers\"); to boot it with QEMU and swtpm as root, pass --qemu-user root",
                    c->qemu_user);
        return FALSE;
    }
    /* Everything is checked: only now may the store change (resolve() reads only). */
    ami_store_free(c->store);
    if (!(c->store = cli_open_store(cli, TRUE, error)) || !ami_instances_reap_stale(c->store, error))
        return FALSE;
    spec.store = c->store;
    if (!(launch = ami_launch_prepare(&spec, error)))
        return FALSE;
    ami_clock_mark(c->timing, AMI_PHASE_DISKS);
    ami_launch_set_timing(launch, c->timing);
    if (c->accel_note && !c->quiet)
        cli_notice(cli, "using TCG (software emulation): %s", c->accel_note);
    if (o->detach > 0 || o->keep > 0)
        return execute_supervised(cli, c, o, launch, error);
    if (!ami_launch_start(launch, error)) {
        ami_launch_terminate(launch, "the guest failed to start");
        return FALSE;
    }
    cli_notice(cli, "%s: started from %s (%s, %s, %s); console follows", c->plan->instance_id,
               c->plan->image_id, c->plan->instance_type,
               ami_firmware_to_string(c->plan->firmware), ami_accel_to_string(c->plan->accel));
    w.launch = launch;
    outcome = watch(c, &w, start);
    if (outcome == AMI_OUTCOME_RUNNING) { /* a signal */
        ami_launch_terminate(launch, "interrupted");
        return ami_signals_check(error);
    }
    note_verdict(c, start);
    report(cli, c, c->plan->instance_id);
    verdict = verdict_json(c);
    if (c->toe)
        component_failure = record_components(cli, c, launch, verdict);
    ami_launch_set_verdict(launch, verdict);
    if (o->keep_failed > 0 && (outcome != AMI_OUTCOME_SUCCESS || component_failure))
        keep_failed(cli, c, launch);
    else
        ami_launch_terminate(launch, "run finished");
    if (o->timing > 0) {
        g_autoptr(json_t) timing = ami_timing_to_json(c->timing);

        print_timing(cli, c, timing);
    }
    if (component_failure && outcome == AMI_OUTCOME_SUCCESS) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_BOOT, "%s: component-failed: %s",
                    c->plan->instance_id, component_failure);
        return FALSE;
    }
    return outcome_error(c, outcome, error);
}

/*
 * As root, QEMU and swtpm run as the dedicated user (docs/run.md "Security layers")
 * unless --qemu-user names another; checked first, so that a missing user is one clear
 * error before anything is resolved.  Otherwise QEMU runs as we do.
 */
static gboolean
resolve_qemu_user(const Cli *cli, const RunOpts *o, RunCtx *c, GError **error)
{
    g_autoptr(AmiQemuUser) user = NULL;
    const char *name = o->qemu_user ? o->qemu_user : ami_qemu_user_default_name();

    if (getuid() != 0 || o->connect) {
        if (!o->qemu_user)
            return TRUE;
        return ami_error_invalid(error, "--qemu-user needs ami-run to run as root with its "
                                 "own libvirt (without --connect)");
    }
    if (!(user = ami_qemu_user_lookup(name, error)))
        return FALSE;
    if (user->uid == 0)
        cli_notice(cli, "QEMU runs as root (--qemu-user %s): a guest that escapes it has only its seccomp sandbox between it and the host", name);
    c->qemu_user = name;
    return TRUE;
}

/* A value the bundle gives, unless the command line gave one. */
static void
bundle_default(char **field, const char *value)
{
    if (!*field && value)
        *field = g_strdup(value);
}

static void
bundle_default_number(char **field, json_t *value)
{
    if (!*field && json_is_integer(value))
        *field = g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(value));
}

/*
 * --from-bundle: the image, type, firmware, bus, sizes and verdict options of the bundled
 * run, once its snapshots are checked to be in the store (cmd-bundle.c); options given on
 * the command line win.
 */
static gboolean
from_bundle(const Cli *cli, RunOpts *o, GError **error)
{
    g_autoptr(json_t) b = NULL;
    json_t *opts;

    if (o->image_id)
        return ami_error_invalid(error, "give an image or --from-bundle, not both");
    if (!(b = cli_bundle_load(cli, o->from_bundle, error)))
        return FALSE;
    opts = json_object_get(b, "RunOptions");
    bundle_default(&o->image_id, json_string_value(json_object_get(b, "ImageId")));
    bundle_default(&o->instance_type, json_string_value(json_object_get(b, "InstanceType")));
    bundle_default(&o->boot_mode, json_string_value(json_object_get(b, "BootMode")));
    bundle_default(&o->disk_bus, json_string_value(json_object_get(b, "DiskBus")));
    bundle_default_number(&o->memory, json_object_get(opts, "MemoryMiB"));
    bundle_default_number(&o->vcpus, json_object_get(opts, "Vcpus"));
    bundle_default_number(&o->timeout, json_object_get(opts, "Timeout"));
    bundle_default(&o->until, json_string_value(json_object_get(opts, "Until")));
    if (!o->success && json_array_size(json_object_get(opts, "Success")))
        o->success = cli_json_strv(json_object_get(opts, "Success"));
    if (!o->failure && json_array_size(json_object_get(opts, "Failure")))
        o->failure = cli_json_strv(json_object_get(opts, "Failure"));
    if (o->strict < 0 && json_is_true(json_object_get(opts, "Strict")))
        o->strict = 1;
    if (o->secure_boot < 0 && json_is_true(json_object_get(opts, "SecureBoot")))
        o->secure_boot = 1;
    return TRUE;
}

gboolean
cmd_run(Cli *cli, int argc, char **argv, GError **error)
{
    RunOpts o = {.secure_boot = -1, .strict = -1};
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &o.image_id, "ami-…", "the AMI (or give it as a bare argument)", TRUE},
        {"instance-type", ARG_STRING, &o.instance_type, "TYPE", "sizes the boot and sets its platform: Nitro (NVMe) or Xen (virtio) (default t3.micro / t4g.micro)"},
        {"memory", ARG_STRING, &o.memory, "MiB", "memory, overrides the type (e.g. 2048 or 2G)"},
        {"vcpus", ARG_STRING, &o.vcpus, "N", "vCPUs, overrides the type"},
        {"boot-mode", ARG_STRING, &o.boot_mode, "MODE", "override the image's BootMode"},
        {"secure-boot", ARG_BOOL, &o.secure_boot, NULL, "UEFI Secure Boot with enrolled keys (default off)"},
        {"accel", ARG_STRING, &o.accel, "auto|kvm|tcg", "accelerator (auto: KVM when usable)"},
        {"disk-bus", ARG_STRING, &o.disk_bus, "BUS", "nvme or virtio (default: nvme on Nitro types, virtio on Xen ones), or sata"},
        {"ephemeral-size", ARG_STRING, &o.ephemeral_size, "GiB", "size of ephemeral (instance store) disks"},
        {"block-device-mappings", ARG_STRING, &o.block_device_mappings, "JSON|file://F", "launch-time mapping changes, as run-instances"},
        {"user-data", ARG_STRING, &o.user_data, "FILE|-", "user data (any cloud-init format, byte-exact, ≤16 KB)"},
        {"user-data-base64", ARG_STRING, &o.user_data_base64, "B64", "user data, base64-encoded"},
        {"ssh-public-key", ARG_LIST, &o.ssh_keys, "KEY", "public keys for the seed's meta-data"},
        {"key-name", ARG_STRING, &o.key_name, "NAME", "a key pair (create-key-pair): its public key goes to the guest"},
        {"hostname", ARG_STRING, &o.hostname, "NAME", "local-hostname (default: the instance id)"},
        {"ssh-port", ARG_STRING, &o.ssh_port, "PORT", "forward 127.0.0.1:PORT (and, not as root, PublicIpAddress:PORT) to the guest's port 22"},
        {"publish", ARG_LIST, &o.publish, "HOST:GUEST", "forward PublicIpAddress:HOST to the guest's TCP port GUEST"},
        {"network", ARG_STRING, &o.network, "nat|isolated|none", "outbound NAT (default), only IMDS/DNS/forwarded ports, or no NIC"},
        {"metadata-source", ARG_STRING, &o.metadata_source, "both|imds|nocloud", "serve the IMDS, the NoCloud seed, or both (default)"},
        {"metadata-options", ARG_STRING, &o.metadata_options, "K=V,…|JSON", "HttpTokens, HttpEndpoint, InstanceMetadataTags, HttpPutResponseHopLimit"},
        {"timeout", ARG_STRING, &o.timeout, "SECONDS", "give up after this long (default 600; exit 3)"},
        {"until", ARG_STRING, &o.until, "WHAT", "success rule: login, cloud-init or shutdown"},
        {"success", ARG_LIST, &o.success, "REGEX", "success markers (replace the default ones)"},
        {"failure", ARG_LIST, &o.failure, "REGEX", "extra failure markers"},
        {"strict", ARG_BOOL, &o.strict, NULL, "recorded errors (a failed cloud-init module or mount) fail the run (default off in run, on in test)"},
        {"console", ARG_STRING, &o.console, "stream|quiet", "show the console live (default stream)"},
        {"connect", ARG_STRING, &o.connect, "URI", "use this libvirt instead of the embedded driver"},
        {"qemu-user", ARG_STRING, &o.qemu_user, "USER", "as root: run QEMU as USER (default ami-run-qemu; root is opt-in)"},
        {"keep", ARG_BOOL, &o.keep, NULL, "leave the instance running after the verdict"},
        {"detach", ARG_BOOL, &o.detach, NULL, "start it in the background and return (no verdict)"},
        {"dry-run", ARG_BOOL, &o.dry_run, NULL, "print the plan (--output xml: the domain XML), create nothing"},
        /* AWSTOE component documents (docs/components.md) */
        {"component", ARG_LIST, &o.components, "FILE", "run this AWSTOE component document in the guest (repeatable)"},
        {"phases", ARG_STRING, &o.phases, "LIST", "the documents' phases to run, comma-separated (default validate,test)"},
        /* reproduce/bundle */
        {"from-bundle", ARG_STRING, &o.from_bundle, "FILE", "boot the plan of an `ami-run bundle` archive again (its snapshots must be in the store)"},
        /* forensics */
        {"keep-failed", ARG_BOOL, &o.keep_failed, NULL, "a failed run keeps the instance stopped with its volumes, for 'ami-run logs'"},
        /* timing */
        {"timing", ARG_BOOL, &o.timing, NULL, "after the verdict, print the boot's timeline (ami-run's phases, the guest's stages) to stderr"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    RunCtx c = {.timing = ami_clock_timing_new()};
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Boot an AMI and report a verdict: exit 0 success, 1 boot failure, "
                        "3 timeout.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (o.from_bundle && !from_bundle(cli, &o, error))
        goto out;
    if (!cli_require(o.image_id, "image-id", error))
        goto out;
    if (cli->output == CLI_OUTPUT_XML && o.dry_run <= 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--output xml needs --dry-run (it prints the domain XML instead of booting)");
        goto out;
    }
    if (o.keep > 0 && o.detach > 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "give --keep (watch, then leave it running) or --detach (return at once), not both");
        goto out;
    }
    if (o.keep_failed > 0 && (o.keep > 0 || o.detach > 0)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--keep-failed is for a run that ends with its verdict; --keep and --detach keep the instance anyway");
        goto out;
    }
    if ((o.dry_run <= 0 && !resolve_qemu_user(cli, &o, &c, error)) || !resolve(cli, &o, &c, error))
        goto out;
    ami_clock_mark(c.timing, AMI_PHASE_PLAN);
    ok = o.dry_run > 0 ? dry_run(cli, &c, error) : execute(cli, &c, &o, error);
out:
    run_ctx_clear(&c);
    cli_args_free(specs);
    return ok;
}

/* Tags for each volume of the plan, by volume id (AmiRun.VolumeTags, describe-volumes). */
static void
add_volume_tags(RunCtx *c, json_t *tags)
{
    json_t *map = json_object();

    for (guint i = 0; i < c->plan->disks->len; i++) {
        const AmiPlanDisk *d = c->plan->disks->pdata[i];

        json_object_set_new(map, d->volume_id, json_deep_copy(tags));
    }
    json_object_set_new(c->amirun_fields, "VolumeTags", map);
}

gboolean
cli_run_detached(Cli *cli, const CliLaunchRequest *req, char **ret_instance_id, GError **error)
{
    RunOpts o = {.secure_boot = -1, .detach = 1, .image_id = (char *)req->image_id,
                 .instance_type = (char *)req->instance_type, .key_name = (char *)req->key_name,
                 .user_data_base64 = (char *)req->user_data_base64,
                 .block_device_mappings = (char *)req->block_device_mappings,
                 .metadata_options = (char *)req->metadata_options, .console = (char *)"quiet",
                 .dry_run = req->dry_run ? 1 : -1, .success = req->success,
                 .failure = req->failure, .until = (char *)req->until,
                 .timeout = (char *)req->timeout, .strict = req->strict ? 1 : -1};
    RunCtx c = {.quiet = TRUE, .timing = ami_clock_timing_new()};
    gboolean ok = FALSE;

    if ((!req->dry_run && !resolve_qemu_user(cli, &o, &c, error)) || !resolve(cli, &o, &c, error))
        goto out;
    ami_clock_mark(c.timing, AMI_PHASE_PLAN);
    if (req->instance_fields)
        json_object_update(c.instance_fields, req->instance_fields);
    if (req->amirun_fields)
        json_object_update(c.amirun_fields, req->amirun_fields);
    if (req->volume_tags && json_array_size(req->volume_tags))
        add_volume_tags(&c, req->volume_tags);
    if (req->dry_run) {
        ok = TRUE;
        goto out;
    }
    if (!execute(cli, &c, &o, error))
        goto out;
    *ret_instance_id = g_strdup(c.plan->instance_id);
    ok = TRUE;
out:
    run_ctx_clear(&c);
    return ok;
}

gboolean
cli_run_verdict(Cli *cli, const CliLaunchRequest *req, gboolean stream, json_t **ret_verdict,
                char **ret_instance_id, GError **error)
{
    RunOpts o = {.secure_boot = -1, .image_id = (char *)req->image_id,
                 .instance_type = (char *)req->instance_type,
                 .console = (char *)(stream ? "stream" : "quiet"), .success = req->success,
                 .failure = req->failure, .until = (char *)req->until,
                 .timeout = (char *)req->timeout, .strict = req->strict ? 1 : -1};
    RunCtx c = {.timing = ami_clock_timing_new()}; /* execute() marks its phases */
    g_autoptr(GError) local = NULL;
    gboolean ok = FALSE;

    if (!resolve_qemu_user(cli, &o, &c, error) || !resolve(cli, &o, &c, error))
        goto out;
    ami_clock_mark(c.timing, AMI_PHASE_PLAN);
    if (!execute(cli, &c, &o, &local) &&
        ami_verdict_get(c.scanner)->outcome == AMI_OUTCOME_RUNNING) {
        /* no verdict: the boot did not happen, or a signal ended it */
        g_propagate_error(error, g_steal_pointer(&local));
        goto out;
    }
    *ret_verdict = verdict_json(&c);
    *ret_instance_id = g_strdup(c.plan->instance_id);
    ok = TRUE;
out:
    run_ctx_clear(&c);
    return ok;
}
