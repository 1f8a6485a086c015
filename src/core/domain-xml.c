/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run plan -> libvirt domain XML: a pure function, a flat list of render_<device>()
 * helpers (libvirt's qemuBuildCommandLine style).  Every value goes through
 * g_markup_printf_escaped().  What each choice is for is measured in
 * ../shared/docs/platform-notes.md.
 */
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/plan.h"

#define X(buf, ...)                                                        \
    do {                                                                   \
        g_autofree char *_s = g_markup_printf_escaped(__VA_ARGS__);        \
        g_string_append((buf), _s);                                        \
    } while (0)

static const char *
libvirt_arch(AmiArch arch)
{
    switch (arch) {
    case AMI_ARCH_ARM64:
    case AMI_ARCH_ARM64_MAC:
        return "aarch64";
    case AMI_ARCH_I386:
        return "i686";
    case AMI_ARCH_X86_64:
    case AMI_ARCH_X86_64_MAC:
    case AMI_ARCH_LAST:
        break;
    }
    return "x86_64";
}

static void
sysinfo_entry(GString *x, const char *name, const char *value)
{
    if (value)
        X(x, "      <entry name='%s'>%s</entry>\n", name, value);
}

/*
 * EC2's SMBIOS (instance-types.c has the values and their sources): cloud-init's
 * ds-identify finds the Ec2 datasource by the "ec2" system UUID alone.  libvirt requires
 * the system uuid entry to equal <uuid>, which is why the plan derives both from the
 * instance id.  On arm64 (virt) the UEFI firmware publishes the same tables.
 */
static void
render_sysinfo(GString *x, const AmiRunPlan *p)
{
    const AmiSmbiosProfile *s = p->smbios;

    if (!s)
        return;
    g_string_append(x, "  <sysinfo type='smbios'>\n    <bios>\n");
    sysinfo_entry(x, "vendor", s->bios_vendor);
    sysinfo_entry(x, "version", s->bios_version);
    sysinfo_entry(x, "date", s->bios_date);
    g_string_append(x, "    </bios>\n    <system>\n");
    sysinfo_entry(x, "manufacturer", s->manufacturer);
    sysinfo_entry(x, "product", s->product ? s->product : p->instance_type);
    sysinfo_entry(x, "version", s->version);
    sysinfo_entry(x, "serial", p->uuid);
    sysinfo_entry(x, "uuid", p->uuid);
    g_string_append(x, "    </system>\n");
    if (s->board_asset_is_id) {
        g_string_append(x, "    <baseBoard>\n");
        sysinfo_entry(x, "manufacturer", s->manufacturer);
        sysinfo_entry(x, "asset", p->instance_id);
        g_string_append(x, "    </baseBoard>\n");
    }
    g_string_append(x, "    <chassis>\n");
    sysinfo_entry(x, "manufacturer", s->chassis_vendor);
    sysinfo_entry(x, "asset", s->chassis_asset);
    g_string_append(x, "    </chassis>\n  </sysinfo>\n");
}

static void
render_os(GString *x, const AmiRunPlan *p)
{
    const char *sb = p->secure_boot ? "yes" : "no";

    if (p->firmware == AMI_FIRMWARE_UEFI) {
        /*
         * Autoselection from the QEMU firmware descriptors, but never the Secure Boot /
         * Microsoft-keys build unless asked: unsigned loaders fail on it.
         */
        X(x, "  <os firmware='efi'>\n    <type arch='%s' machine='%s'>hvm</type>\n",
          libvirt_arch(p->arch), p->machine);
        X(x, "    <firmware>\n      <feature enabled='%s' name='secure-boot'/>\n"
             "      <feature enabled='%s' name='enrolled-keys'/>\n    </firmware>\n", sb, sb);
        X(x, "    <nvram>%s</nvram>\n", p->nvram_path);
    } else {
        X(x, "  <os>\n    <type arch='%s' machine='%s'>hvm</type>\n", libvirt_arch(p->arch),
          p->machine);
    }
    /* NVMe disks are QEMU arguments with their own bootindex: no libvirt boot order. */
    if (p->disk_bus != AMI_BUS_NVME)
        g_string_append(x, "    <boot dev='hd'/>\n");
    /* SeaBIOS prints to the screen only, unless told: "No bootable device" must reach the log. */
    if (p->firmware == AMI_FIRMWARE_BIOS)
        g_string_append(x, "    <bios useserial='yes'/>\n");
    if (p->smbios)
        g_string_append(x, "    <smbios mode='sysinfo'/>\n");
    g_string_append(x, "  </os>\n");
}

static void
render_features(GString *x, const AmiRunPlan *p)
{
    g_string_append(x, "  <features>\n    <acpi/>\n");
    if (p->arch != AMI_ARCH_ARM64)
        g_string_append(x, "    <apic/>\n");
    if (p->secure_boot && p->arch != AMI_ARCH_ARM64)
        g_string_append(x, "    <smm state='on'/>\n"); /* required by Secure Boot OVMF on q35 */
    g_string_append(x, "  </features>\n");
}

static void
render_cpu(GString *x, const AmiRunPlan *p)
{
    if (p->accel == AMI_ACCEL_KVM)
        g_string_append(x, "  <cpu mode='host-passthrough' check='none'/>\n");
    else
        g_string_append(x, "  <cpu mode='maximum' check='none'/>\n");
}

static const char *
libvirt_bus(AmiDiskBus bus)
{
    return bus == AMI_BUS_SATA ? "sata" : "virtio";
}

/*
 * The whole chain, every format pinned and the last one closed with <backingStore/>: a
 * create-image layer's parents are files of their own (docs/store.md).
 */
static void
render_backing(GString *x, const char *file, char **below, int indent)
{
    X(x, "%*s<backingStore type='file'>\n%*s  <format type='qcow2'/>\n%*s  <source file='%s'/>\n",
      indent, "", indent, "", indent, "", file);
    if (below && *below)
        render_backing(x, below[0], below + 1, indent + 2);
    else
        X(x, "%*s  <backingStore/>\n", indent, "");
    X(x, "%*s</backingStore>\n", indent, "");
}

static void
render_disks(GString *x, const AmiRunPlan *p)
{
    if (p->disk_bus == AMI_BUS_NVME)
        return; /* qemu:commandline, see render_qemu_args() */
    for (guint i = 0; i < p->disks->len; i++) {
        const AmiPlanDisk *d = p->disks->pdata[i];

        X(x, "    <disk type='file' device='disk'>\n"
             "      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
             "      <source file='%s'/>\n", d->path);
        if (d->backing)
            render_backing(x, d->backing, d->backing_chain, 6);
        X(x, "      <target dev='%s' bus='%s'/>\n      <serial>%s</serial>\n    </disk>\n",
          d->target, libvirt_bus(p->disk_bus), d->serial);
    }
}

/*
 * The NoCloud seed on virtio-scsi: Debian's cloud kernel has no AHCI, so a SATA CD-ROM
 * would be silently invisible and cloud-init would fall back to DataSourceNone.  Its LUN
 * is pinned to 0: libvirt derives the unit from the name (sdz -> LUN 25), and Linux's
 * scan, finding no LUN 0, never sees it.
 */
static void
render_seed(GString *x, const AmiRunPlan *p)
{
    if (!p->seed_path)
        return; /* --metadata-source imds */
    g_string_append(x, "    <controller type='scsi' index='0' model='virtio-scsi'/>\n");
    X(x, "    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n"
         "      <source file='%s'/>\n      <target dev='sdz' bus='scsi'/>\n      <readonly/>\n"
         "      <address type='drive' controller='0' bus='0' target='0' unit='0'/>\n"
         "    </disk>\n", p->seed_path);
}

static void
render_network(GString *x, const AmiRunPlan *p)
{
    if (p->nic != AMI_NIC_BUILTIN || p->ssh_port)
        return; /* none, or slirp with hostfwd, or a stream netdev, through qemu:commandline: libvirt
                 * 9.0 has no portForward for the user backend, and no stream backend */
    /* No option ROM: EC2 never network-boots, and iPXE costs SeaBIOS seconds under TCG. */
    X(x, "    <interface type='user'>\n      <mac address='%s'/>\n      <model type='virtio'/>\n"
         "      <rom enabled='no'/>\n    </interface>\n", p->mac);
}

static void
render_serials(GString *x, const AmiRunPlan *p)
{
    /*
     * Every port appends (O_APPEND) to one log: firmware and kernel lines stay in the
     * order they were written, and a restarted instance adds to its console as EC2's does.
     */
    X(x, "    <serial type='file'>\n      <source path='%s' append='on'/>\n"
         "      <target port='0'/>\n    </serial>\n", p->console_path);
    /* arm64 virt: the PL011 is ttyAMA0; EC2 images say console=ttyS0, a PCI 16550 is ttyS0. */
    if (p->pci_serial)
        X(x, "    <serial type='file'>\n      <source path='%s' append='on'/>\n"
             "      <target type='pci-serial' port='1'/>\n    </serial>\n", p->console_path);
}

static void
render_tpm(GString *x, const AmiRunPlan *p)
{
    if (!p->tpm)
        return;
    X(x, "    <tpm model='%s'>\n      <backend type='emulator' version='2.0'/>\n    </tpm>\n",
      p->arch == AMI_ARCH_ARM64 ? "tpm-tis" : "tpm-crb");
}

/* QEMU option values escape ',' by doubling it. */
static char *
qemu_opt_escape(const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);

    return g_strjoinv(",,", parts);
}

static void
qemu_arg(GString *x, const char *value)
{
    X(x, "    <qemu:arg value='%s'/>\n", value);
}

static gboolean
needs_qemu_args(const AmiRunPlan *p)
{
    return p->disk_bus == AMI_BUS_NVME || p->net_socket ||
           (p->nic == AMI_NIC_BUILTIN && p->ssh_port);
}

/* What this libvirt cannot express: NVMe disks (libvirt < 11), slirp hostfwd, stream netdevs. */
static void
render_qemu_args(GString *x, const AmiRunPlan *p)
{
    if (!needs_qemu_args(p))
        return;
    g_string_append(x, "  <qemu:commandline>\n");
    for (guint i = 0; p->disk_bus == AMI_BUS_NVME && i < p->disks->len; i++) {
        const AmiPlanDisk *d = p->disks->pdata[i];
        g_autofree char *path = qemu_opt_escape(d->path);
        g_autofree char *drive = g_strdup_printf("file=%s,format=qcow2,if=none,id=ami-nvme%u,"
                                                 "discard=unmap", path, i);
        /*
         * One controller per volume, as on Nitro; the serial is the volume id.  The model
         * stays QEMU's ("QEMU NVMe Ctrl"): QEMU 7.2's nvme device has no property for it
         * (`-device nvme,help`), so d->model is only recorded.  The slot
         * is explicit and high on the root bus: libvirt numbers its own devices from slot
         * 1 up and does not know about these.  The root gets bootindex 1.
         */
        g_autofree char *dev = g_strdup_printf("nvme,drive=ami-nvme%u,serial=%s,bus=pcie.0,"
                                               "addr=0x%x%s", i, d->serial, AMI_NVME_FIRST_SLOT + i,
                                               i == 0 ? ",bootindex=1" : "");

        qemu_arg(x, "-drive");
        qemu_arg(x, drive);
        qemu_arg(x, "-device");
        qemu_arg(x, dev);
    }
    if (p->net_socket || (p->nic == AMI_NIC_BUILTIN && p->ssh_port)) {
        g_autofree char *path = p->net_socket ? qemu_opt_escape(p->net_socket) : NULL;
        /* Our own libslirp listens there (host/net.c): QEMU connects, and keeps its seccomp
         * sandbox, which a -netdev user guestfwd=...-cmd: would need lifted. */
        g_autofree char *netdev =
            p->net_socket ? g_strdup_printf("stream,id=ami-net0,server=off,addr.type=unix,"
                                            "addr.path=%s", path)
                          : g_strdup_printf("user,id=ami-net0,hostfwd=tcp:127.0.0.1:%d-:22",
                                            p->ssh_port);
        /* An explicit slot, as for NVMe: left to QEMU it takes slot 1, libvirt's. */
        G_STATIC_ASSERT(AMI_SSH_NIC_SLOT < AMI_NVME_FIRST_SLOT);
        g_autofree char *nic = g_strdup_printf("virtio-net-pci,netdev=ami-net0,mac=%s,romfile=,"
                                               "bus=pcie.0,addr=0x%x", p->mac, AMI_SSH_NIC_SLOT);

        qemu_arg(x, "-netdev");
        qemu_arg(x, netdev);
        qemu_arg(x, "-device");
        qemu_arg(x, nic);
    }
    g_string_append(x, "  </qemu:commandline>\n");
}

char *
ami_domain_xml_render(const AmiRunPlan *p, GError **error)
{
    g_autoptr(GString) x = g_string_new(NULL);

    if (!p->instance_id || !p->uuid || !p->mac || !p->console_path ||
        (p->nic == AMI_NIC_OWN && !p->net_socket)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "the plan is not fully resolved");
        return NULL;
    }
    /* Constant markup is appended as is: only values go through the escaping X(). */
    X(x, "<domain type='%s'", p->accel == AMI_ACCEL_KVM ? "kvm" : "qemu");
    if (needs_qemu_args(p))
        g_string_append(x, " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'");
    g_string_append(x, ">\n");
    X(x, "  <name>%s</name>\n  <uuid>%s</uuid>\n", p->instance_id, p->uuid);
    X(x, "  <title>%s</title>\n", p->image_id);
    X(x, "  <memory unit='MiB'>%" G_GUINT64_FORMAT "</memory>\n  <vcpu>%u</vcpu>\n",
      p->memory_mib, p->vcpus);
    render_sysinfo(x, p);
    render_os(x, p);
    render_features(x, p);
    render_cpu(x, p);
    g_string_append(x, "  <clock offset='utc'/>\n  <on_poweroff>destroy</on_poweroff>\n"
                       "  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n"
                       "  <devices>\n");
    render_disks(x, p);
    render_seed(x, p);
    render_network(x, p);
    render_serials(x, p);
    render_tpm(x, p);
    /* EC2 instances have no USB; libvirt's implicit xhci cost firmware and kernel time. */
    g_string_append(x, "    <controller type='usb' model='none'/>\n");
    g_string_append(x, "    <rng model='virtio'>\n      <backend model='random'>/dev/urandom"
                       "</backend>\n    </rng>\n    <memballoon model='none'/>\n  </devices>\n");
    render_qemu_args(x, p);
    g_string_append(x, "</domain>\n");
    return g_string_free(g_steal_pointer(&x), FALSE);
}
