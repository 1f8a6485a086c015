/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: AWSTOE component documents and the runner's console frames.  The first
 * byte picks: even, the rest is a document (parsed, validated, compiled, its program
 * and user data made); odd, the rest is console text read against a fixed document.
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/toe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed[] =
    "schemaVersion: 1.0\nphases:\n  - name: validate\n    steps:\n"
    "      - name: a\n        action: ExecuteBash\n        onFailure: Ignore\n"
    "        inputs: {commands: [x]}\n"
    "      - name: b\n        action: ReadFile\n        inputs: [{path: /x}]\n"
    "  - name: test\n    steps:\n"
    "      - name: c\n        action: Assert\n        inputs: {stringEquals: a, value: b}\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(AmiToeRun) r = ami_toe_run_new(NULL);
    g_autoptr(GError) error = NULL;

    if (size < 1)
        return 0;
    if (!(data[0] & 1)) {
        if (ami_toe_run_add_document(r, "fuzz.yaml", (const char *)data + 1, size - 1, &error)) {
            g_autofree char *prog = ami_toe_run_program(r, "i-fuzz");
            GBytes *ud = ami_toe_user_data(r, "i-fuzz", NULL);
            json_t *res = ami_toe_results(r, "i-fuzz", "", 0, NULL, NULL);

            g_assert(prog && res);
            json_decref(res);
            if (ud)
                g_bytes_unref(ud);
        } else {
            g_assert(error && !strchr(error->message, '\n'));
        }
    } else {
        gboolean finished;
        g_autofree char *failure = NULL;
        json_t *res;

        g_assert(ami_toe_run_add_document(r, "fixed.yaml", fixed, strlen(fixed), NULL));
        res = ami_toe_results(r, "i-1", (const char *)data + 1, size - 1, &finished, &failure);
        g_assert(json_array_size(res) == 1);
        json_decref(res);
    }
    return 0;
}
