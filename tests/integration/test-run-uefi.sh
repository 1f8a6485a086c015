#!/usr/bin/env bash
# UEFI: the tiny x86_64 image with BootMode uefi boots through OVMF (Secure Boot off),
# and the tiny arm64 image with no BootMode boots through AAVMF (UEFI by EC2's rule) on
# this x86_64 host under TCG, its kernel on console=ttyS0 (a pci-serial next to the
# PL011) — both consoles land in the one log.  User data runs on both.
source "$(dirname "$0")/lib.sh"
need qemu-system-aarch64
ls /usr/share/OVMF/OVMF_CODE*.fd >/dev/null 2>&1 || skip "ovmf is not installed"
ls /usr/share/AAVMF/AAVMF_CODE*.fd >/dev/null 2>&1 || skip "qemu-efi-aarch64 is not installed"

printf '#!/bin/sh\necho "user-data on $(uname -m)"\n' >"$WORK/ud.sh"

x86=$(tiny_ami x86_64 uefi ok)
boot 0 "$x86" --user-data "$WORK/ud.sh" --success 'ami-run-tiny: ready' --timeout 240
contains "$ERR" "(t3.micro, uefi, tcg)"
contains "$OUT" "BdsDxe: starting Boot"
contains "$OUT" "ami-run-tiny: firmware uefi"
contains "$OUT" "user-data on x86_64"
contains "$OUT" "ami-run-tiny: disk nvme0n1 size=1073741824 serial=vol"   # t3.micro: Nitro, NVMe
contains "$OUT" "ami-run-tiny: dmi sys_vendor=Amazon_EC2 product_name=t3.micro product_uuid=ec2"
assert_clean "$IID"
ok "x86_64 BootMode uefi: OVMF without Secure Boot loads systemd-boot from NVMe, Nitro SMBIOS, user data runs"

arm=$(tiny_ami arm64 uefi ok)
run 0 run "$arm" --dry-run
[ "$(jq -r .Firmware <<<"$OUT")" = uefi ] || fail "arm64 without BootMode is not UEFI: $OUT"
[ "$(jq -r .Machine <<<"$OUT")" = virt ] || fail "arm64 is not on virt: $OUT"
boot 0 "$arm" --user-data "$WORK/ud.sh" --success 'ami-run-tiny: ready' --timeout 300
contains "$ERR" "(t4g.micro, uefi, tcg)"
contains "$OUT" "EFI stub: Booting Linux Kernel"          # PL011, from the firmware
contains "$OUT" "ami-run-tiny: firmware uefi"              # ttyS0, the pci-serial
contains "$OUT" "user-data on aarch64"
# t4g is Nitro too: NVMe, and the SMBIOS tables reach the guest through AAVMF.
contains "$OUT" "ami-run-tiny: disk nvme0n1 size=1073741824 serial=vol"
contains "$OUT" "ami-run-tiny: dmi sys_vendor=Amazon_EC2 product_name=t4g.micro product_uuid=ec2"
assert_clean "$IID"
ok "arm64 without BootMode: AAVMF boots from NVMe, Nitro SMBIOS, console=ttyS0 captured with the PL011, user data runs"

# BootMode legacy-bios on arm64 is refused, as EC2 does.
run 2 run "$arm" --boot-mode legacy-bios --dry-run
one_line_error
ok "arm64 with legacy-bios: exit 2, one line"
echo "$PASSED passed, 0 failed"
