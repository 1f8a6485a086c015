/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: --filters arguments (one per line), matched against a describe-images object. */
#include <stdint.h>

#include "ami-run/cleanup.h"
#include "ami-run/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *image;
    g_autofree char *text = g_strndup((const char *)data, size);
    g_auto(GStrv) args = g_strsplit(text, "\n", 16);
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiFilters) f = NULL;

    if (!image)
        image = json_loads("{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"debian-12\","
                           "\"Architecture\":\"x86_64\",\"State\":\"available\",\"Tags\":"
                           "[{\"Key\":\"stage\",\"Value\":\"golden\"}],\"BlockDeviceMappings\":"
                           "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":"
                           "\"snap-0123456789abcdef0\"}}]}", 0, NULL);
    f = ami_filters_parse(size && data[0] & 1 ? AMI_FILTER_SNAPSHOTS : AMI_FILTER_IMAGES,
                          (const char *const *)args, &error);
    g_assert(f || error);
    if (f)
        (void)ami_filters_match(f, image);
    return 0;
}
