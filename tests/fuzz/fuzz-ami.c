/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: describe-images JSON (any outer shape) and register-image requests -> model. */
#include <stdint.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/register.h"

static void
parse_one(json_t *obj)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) error2 = NULL;
    AmiImage *image = ami_image_parse(obj, &error);
    json_t *img;

    g_assert(image || error);
    ami_image_free(image);
    img = ami_register_request_to_image(obj, "ami-0123456789abcdef0", "000000000000",
                                        "2026-01-01T00:00:00.000Z", &error2);
    g_assert(img || error2);
    json_decref(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(json_t) root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *images, *v;
    size_t i;

    if (!root)
        return 0;
    images = json_is_object(root) ? json_object_get(root, "Images") : root;
    if (json_is_array(images)) {
        json_array_foreach(images, i, v) parse_one(v);
    } else if (json_is_object(root)) {
        parse_one(root);
    }
    return 0;
}
