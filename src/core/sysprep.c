/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysprep operations as one declarative table (docs/sysprep.md says why each item
 * goes), and the parser of `--sysprep=OPS`.  Names follow virt-sysprep's where the
 * operation is the same; the list is the AMI tutorials' (awsdocs building-shared-amis.md).
 */
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/sysprep.h"

#define END {AMI_SYSPREP_LAST, NULL}

static const AmiSysprepRule rules_ssh_hostkeys[] = {
    /* cloud-init's cc_ssh (PER_INSTANCE, ssh_deletekeys) makes new ones at first boot. */
    {AMI_SYSPREP_REMOVE, "/etc/ssh/ssh_host_*"},
    END,
};

static const AmiSysprepRule rules_authorized_keys[] = {
    /* sshd's default AuthorizedKeysFile: .ssh/authorized_keys .ssh/authorized_keys2 */
    {AMI_SYSPREP_HOME_REMOVE, ".ssh/authorized_keys*"},
    END,
};

static const AmiSysprepRule rules_shell_history[] = {
    /* bash, zsh, sh, python, mysql, psql, sqlite, node, …: all end in _history. */
    {AMI_SYSPREP_HOME_REMOVE, ".*_history"},
    {AMI_SYSPREP_HOME_REMOVE, ".history"},
    {AMI_SYSPREP_HOME_REMOVE, ".zhistory"},
    {AMI_SYSPREP_HOME_REMOVE, ".lesshst"},
    {AMI_SYSPREP_HOME_REMOVE, ".viminfo"},
    {AMI_SYSPREP_HOME_REMOVE, ".local/share/fish/fish_history"},
    END,
};

static const AmiSysprepRule rules_aws_credentials[] = {
    {AMI_SYSPREP_HOME_REMOVE, ".aws"},
    END,
};

static const AmiSysprepRule rules_cloud_init[] = {
    /*
     * `cloud-init clean --logs` (22.4.2, cloudinit/cmd/clean.py): every entry of its
     * cloud_dir but seed/, and the logs get_config_logfiles() finds in Debian's
     * configuration (def_log_file and the `output: | tee -a` target of 05_logging.cfg).
     * Its run-parts of /etc/cloud/clean.d cannot run offline.
     */
    {AMI_SYSPREP_CLOUD_STATE, "/var/lib/cloud"},
    {AMI_SYSPREP_REMOVE, "/var/log/cloud-init.log"},
    {AMI_SYSPREP_REMOVE, "/var/log/cloud-init-output.log"},
    END,
};

static const AmiSysprepRule rules_tmp_files[] = {
    {AMI_SYSPREP_EMPTY_DIR, "/tmp"},
    {AMI_SYSPREP_EMPTY_DIR, "/var/tmp"},
    END,
};

static const AmiSysprepRule rules_logs[] = {
    {AMI_SYSPREP_LOGS, "/var/log"},
    END,
};

static const AmiSysprepRule rules_machine_id[] = {
    /*
     * Emptied, not removed and not regenerated: systemd makes a new one at first boot
     * when the file is empty (machine-id(5), "generic file system image").
     */
    {AMI_SYSPREP_TRUNCATE, "/etc/machine-id"},
    {AMI_SYSPREP_TRUNCATE, "/var/lib/dbus/machine-id"},
    END,
};

static const AmiSysprepRule rules_dhcp_leases[] = {
    {AMI_SYSPREP_REMOVE, "/var/lib/dhcp/*"},                  /* isc-dhcp-client (Debian) */
    {AMI_SYSPREP_REMOVE, "/var/lib/dhclient/*"},              /* dhclient (RHEL family) */
    {AMI_SYSPREP_REMOVE, "/var/lib/NetworkManager/*.lease"},  /* NetworkManager */
    {AMI_SYSPREP_REMOVE, "/run/systemd/netif/leases/*"},      /* systemd-networkd */
    END,
};

static const AmiSysprepRule rules_net_config[] = {
    /* udev's MAC -> ethN pinning: a clone's new MAC would become eth1. */
    {AMI_SYSPREP_REMOVE, "/etc/udev/rules.d/70-persistent-net.rules"},
    /*
     * What cloud-init's renderers wrote for this instance's NICs (Debian 22.4.2's
     * network_conf_fn and upstream clean.py's GEN_NET_CONFIG_FILES); it renders them
     * again at the first boot of a new instance.
     */
    {AMI_SYSPREP_REMOVE, "/etc/network/interfaces.d/50-cloud-init"},
    {AMI_SYSPREP_REMOVE, "/etc/network/interfaces.d/50-cloud-init.cfg"},
    {AMI_SYSPREP_REMOVE, "/etc/netplan/50-cloud-init.yaml"},
    {AMI_SYSPREP_REMOVE, "/etc/systemd/network/10-cloud-init-*.network"},
    {AMI_SYSPREP_REMOVE, "/etc/NetworkManager/system-connections/cloud-init-*.nmconnection"},
    {AMI_SYSPREP_REMOVE, "/etc/NetworkManager/conf.d/99-cloud-init.conf"},
    {AMI_SYSPREP_REMOVE, "/etc/NetworkManager/conf.d/30-cloud-init-ip6-addr-gen-mode.conf"},
    END,
};

static const AmiSysprepRule rules_fstrim[] = {
    {AMI_SYSPREP_FSTRIM, "/"},
    END,
};

/* Run in this order: the cloud-init logs go before `logs` would truncate them. */
static const AmiSysprepOp sysprep_ops[] = {
    {"ssh-hostkeys", "remove the SSH host keys /etc/ssh/ssh_host_*", TRUE, rules_ssh_hostkeys},
    {"authorized-keys", "remove every user's ~/.ssh/authorized_keys (root and /home/*)", TRUE,
     rules_authorized_keys},
    {"shell-history", "remove every user's shell and REPL histories (~/.*_history, ...)", TRUE,
     rules_shell_history},
    {"aws-credentials", "remove every user's ~/.aws (credentials, config, caches)", TRUE,
     rules_aws_credentials},
    {"cloud-init", "remove cloud-init's state in /var/lib/cloud (but seed/) and its logs", TRUE,
     rules_cloud_init},
    {"tmp-files", "remove everything in /tmp and /var/tmp, dotfiles too", TRUE, rules_tmp_files},
    {"logs", "truncate the logs under /var/log (journal too), remove rotated ones", TRUE,
     rules_logs},
    {"machine-id", "empty /etc/machine-id (and /var/lib/dbus/machine-id if a file)", TRUE,
     rules_machine_id},
    {"dhcp-leases", "remove DHCP client leases (dhclient, NetworkManager, networkd)", TRUE,
     rules_dhcp_leases},
    {"net-config", "remove MAC-bound network config (70-persistent-net.rules, cloud-init's)",
     TRUE, rules_net_config},
    {"fstrim", "discard the free space of every file system (fstrim)", TRUE, rules_fstrim},
};

G_STATIC_ASSERT(G_N_ELEMENTS(sysprep_ops) <= 64);

const AmiSysprepOp *
ami_sysprep_ops(gsize *ret_n)
{
    if (ret_n)
        *ret_n = G_N_ELEMENTS(sysprep_ops);
    return sysprep_ops;
}

static guint64
default_ops(void)
{
    guint64 mask = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(sysprep_ops); i++) {
        if (sysprep_ops[i].by_default)
            mask |= G_GUINT64_CONSTANT(1) << i;
    }
    return mask;
}

static gboolean
op_bit(const char *name, guint64 *ret_bit, GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sysprep_ops); i++) {
        if (strcmp(sysprep_ops[i].name, name) == 0) {
            *ret_bit = G_GUINT64_CONSTANT(1) << i;
            return TRUE;
        }
    }
    g_autofree char *shown = g_strescape(name, NULL); /* one line, whatever was typed */

    return ami_error_invalid(error, "Unknown sysprep operation '%.64s' (--sysprep=list lists them)",
                             shown);
}

gboolean
ami_sysprep_parse_ops(const char *ops, guint64 *ret_selected, GError **error)
{
    g_auto(GStrv) items = NULL;
    gboolean only_removals = TRUE;
    guint64 mask = 0;

    if (!ops) {
        *ret_selected = default_ops();
        return TRUE;
    }
    if (!*ops) /* g_strsplit() would give no item at all */
        return ami_error_invalid(error, "Sysprep operation list '' has an empty item");
    items = g_strsplit(ops, ",", -1);
    for (gsize i = 0; items[i]; i++) {
        if (items[i][0] != '-')
            only_removals = FALSE;
    }
    if (only_removals)
        mask = default_ops();
    for (gsize i = 0; items[i]; i++) {
        const char *name = items[i][0] == '-' ? items[i] + 1 : items[i];
        guint64 bit = 0;

        if (!*name) {
            g_autofree char *shown = g_strescape(ops, NULL);

            return ami_error_invalid(error, "Sysprep operation list '%.80s' has an empty item",
                                     shown);
        }
        if (strcmp(name, "defaults") == 0 && name == items[i]) {
            mask |= default_ops();
            continue;
        }
        if (!op_bit(name, &bit, error))
            return FALSE;
        if (name == items[i])
            mask |= bit;
        else
            mask &= ~bit;
    }
    *ret_selected = mask;
    return TRUE;
}

/* "1", "12": a logrotate or journald counter. */
static gboolean
all_digits(const char *s, gsize n)
{
    if (n == 0)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
    }
    return TRUE;
}

gboolean
ami_sysprep_log_is_archive(const char *name)
{
    static const char *const compressed[] = {".gz", ".xz", ".bz2", ".zst", ".lz4", ".old"};
    g_autofree char *base = g_strdup(name);
    gsize n = strlen(base);
    const char *dot, *dash;

    if (n > 0 && base[n - 1] == '~') /* journald's "dirty" archive: system.journal~ */
        return TRUE;
    /* journald's archived files: system@<seqnum>-<head>-<time>.journal, user-1000@… */
    if (strchr(base, '@') && g_str_has_suffix(base, ".journal"))
        return TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(compressed); i++) {
        if (g_str_has_suffix(base, compressed[i]))
            return TRUE;
    }
    /* syslog.1, dpkg.log.3 */
    dot = strrchr(base, '.');
    if (dot && dot != base && all_digits(dot + 1, strlen(dot + 1)))
        return TRUE;
    /* logrotate's dateext: auth.log-20240101 */
    dash = strrchr(base, '-');
    return dash && dash != base && strlen(dash + 1) == 8 && all_digits(dash + 1, 8);
}
