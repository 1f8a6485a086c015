/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: the console verdict scanner fed in chunk sizes taken from the input; the
 * verdict must not depend on the chunking (checked against one whole feed), prompts
 * included: those are judged when the console goes quiet, here at the end of the input.
 * The one-line summary and the decided offset must not depend on it either; the input is
 * also taken as user data by ami_verdict_user_data_is_script().
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    AmiVerdictOptions o = {0};
    g_autoptr(AmiVerdictScanner) whole = NULL;
    g_autoptr(AmiVerdictScanner) chunked = NULL;
    AmiOutcome a, b = AMI_OUTCOME_RUNNING;
    size_t off = 1, step;
    g_auto(GStrv) tail = NULL;
    g_autofree char *sa = NULL, *sb = NULL;

    if (size < 1)
        return 0;
    o.until = (AmiUntil)(data[0] % AMI_UNTIL_LAST);
    o.user_data = data[0] & 0x80;
    o.strict = data[0] & 0x04;
    o.user_data_script = ami_verdict_user_data_is_script((const char *)data + 1, size - 1);
    whole = ami_verdict_scanner_new(&o, NULL);
    chunked = ami_verdict_scanner_new(&o, NULL);
    a = ami_verdict_feed(whole, (const char *)data + 1, size - 1, 1.0);
    step = (data[0] >> 3) % 13 + 1;
    while (off < size && b == AMI_OUTCOME_RUNNING) {
        size_t n = MIN(step, size - off);

        b = ami_verdict_feed(chunked, (const char *)data + off, n, 1.0);
        off += n;
    }
    /* The console stops where the input ends: an unfinished last line may be a prompt. */
    if (a == AMI_OUTCOME_RUNNING)
        a = ami_verdict_quiet(whole, 1.0);
    if (b == AMI_OUTCOME_RUNNING)
        b = ami_verdict_quiet(chunked, 1.0);
    g_assert(a == b);
    if (a != AMI_OUTCOME_RUNNING) {
        g_assert(strcmp(ami_verdict_get(whole)->class_id, ami_verdict_get(chunked)->class_id) == 0);
        g_assert(ami_verdict_get(whole)->decided_offset == ami_verdict_get(chunked)->decided_offset);
        sa = ami_verdict_summary(ami_verdict_get(whole));
        sb = ami_verdict_summary(ami_verdict_get(chunked));
        g_assert(strcmp(sa, sb) == 0);
    }
    ami_verdict_deadline(whole, 2.0);
    tail = ami_verdict_tail(whole, 30);
    g_assert(tail);
    return 0;
}
