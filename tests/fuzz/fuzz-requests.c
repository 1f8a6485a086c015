/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: the request parsers of issue 12's verbs, on any bytes.  The first byte picks
 * one; the rest is its input, as the AWS CLI would hand it over (shorthand or JSON text):
 *   0 modify-image-attribute's request (core/image-attr.c) on a fixed image
 *   1 create-image's --name (core/capture.c)
 *   2 create-image's --tag-specifications
 *   3 create-image's --block-device-mappings against a fixed stopped instance
 *   4 --sysprep=OPS (core/sysprep.c)
 *   5 an instance record into describe-instance-status (core/instance-status.c)
 * Each either succeeds with no error or fails with exactly one one-line error.
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/image-attr.h"
#include "ami-run/instance-status.h"
#include "ami-run/shorthand.h"
#include "ami-run/sysprep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char image_json[] =
    "{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"n\",\"State\":\"available\","
    "\"RootDeviceName\":\"/dev/xvda\",\"BlockDeviceMappings\":[{\"DeviceName\":\"/dev/xvda\","
    "\"Ebs\":{\"SnapshotId\":\"snap-0123456789abcdef0\",\"VolumeSize\":8,\"VolumeType\":\"gp3\"}}],"
    "\"AmiRun\":{\"Region\":\"us-east-1\"}}";

static const char instance_json[] =
    "{\"InstanceId\":\"i-0123456789abcdef0\",\"ImageId\":\"ami-0123456789abcdef0\","
    "\"RootDeviceName\":\"/dev/xvda\",\"State\":{\"Code\":80,\"Name\":\"stopped\"},"
    "\"BlockDeviceMappings\":[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"VolumeId\":\"vol-0aaaaaaaaaaaaaaa1\"}}],"
    "\"AmiRun\":{\"Disks\":[{\"VolumeId\":\"vol-0aaaaaaaaaaaaaaa1\",\"Path\":\"/nonexistent/v.qcow2\","
    "\"Kind\":\"overlay\",\"DeleteOnTermination\":true,\"SizeGiB\":8,"
    "\"SnapshotId\":\"snap-0123456789abcdef0\"}]}}";

/* JSON if it starts like JSON, else shorthand: what cli_struct_arg() does with an option. */
static json_t *
parse_arg(const char *text, GError **error)
{
    if (*text == '{' || *text == '[')
        return json_loads(text, JSON_DECODE_ANY, NULL);
    return ami_shorthand_parse(text, error);
}

static void
check_one_error(gboolean ok, const GError *error)
{
    g_assert(ok ? error == NULL : error != NULL);
    if (error)
        g_assert(!strchr(error->message, '\n'));
}

static void
fuzz_modify(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) req = parse_arg(text, &error);
    g_autoptr(json_t) image = json_loads(image_json, 0, NULL);
    g_autoptr(json_t) before = json_deep_copy(image);
    gboolean ok;

    if (!req)
        return;
    g_clear_error(&error);
    ok = ami_image_modify_attribute(image, req, &error);
    check_one_error(ok, error);
    if (!ok) /* a refused request changes nothing */
        g_assert(json_equal(image, before));
}

static void
fuzz_tags(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) v = parse_arg(text, &error);
    g_autoptr(json_t) list = NULL;
    gboolean ok;

    if (!v)
        return;
    list = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
    ok = ami_capture_tags_check(list, &error);
    check_one_error(ok, error);
    if (ok) {
        json_decref(ami_capture_tags_for(list, "image"));
        json_decref(ami_capture_tags_for(list, "snapshot"));
    }
}

static void
fuzz_bdms(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) v = parse_arg(text, &error);
    g_autoptr(json_t) list = NULL;
    g_autoptr(json_t) inst = json_loads(instance_json, 0, NULL);
    g_autoptr(json_t) image = json_loads(image_json, 0, NULL);
    g_autoptr(json_t) volumes = NULL;

    if (!v)
        return;
    list = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
    volumes = ami_capture_volumes(inst, image, list, &error);
    check_one_error(volumes != NULL, error);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    guint64 selected;

    if (size < 1)
        return 0;
    text = g_strndup((const char *)data + 1, size - 1); /* argv: no NUL inside */
    switch (data[0] % 6) {
    case 0:
        fuzz_modify(text);
        break;
    case 1:
        check_one_error(ami_capture_name_check(text, &error), error);
        break;
    case 2:
        fuzz_tags(text);
        break;
    case 3:
        fuzz_bdms(text);
        break;
    case 4:
        check_one_error(ami_sysprep_parse_ops(text, &selected, &error), error);
        break;
    case 5: {
        g_autoptr(json_t) rec = json_loads(text, 0, NULL);

        if (rec)
            json_decref(ami_instance_status(rec));
        break;
    }
    }
    return 0;
}
