/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The identity document's signatures (src/host/identity.c), checked by the real client
 * people use: the `openssl` commands of EC2's verify-iid page, with the certificates the
 * store keeps.  Also: keys made once and reused, private keys 0600, a corrupt key file
 * an error naming it, a tampered document failing verification.
 */
#include <string.h>
#include <sys/stat.h>

#include "ami-run/error.h"
#include "ami-run/identity.h"
#include "test-util.h"

static const char doc[] = "{\n  \"accountId\" : \"000000000000\",\n"
                          "  \"instanceId\" : \"i-0123456789abcdef0\",\n"
                          "  \"region\" : \"us-east-1\",\n  \"version\" : \"2017-09-30\"\n}";

/* Runs @argv in @dir; returns its exit status, stdout in *ret_out (may be NULL). */
static int
run_in(const char *dir, const char *const *argv, char **ret_out)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL, *err = NULL;
    int status = -1;

    if (!g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                      &status, &error))
        fail_msg("spawn %s: %s", argv[0], error->message);
    if (ret_out)
        *ret_out = g_steal_pointer(&out);
    return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

static void
write_file(const char *dir, const char *name, const char *text, gssize len)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);

    assert_true(g_file_set_contents(path, text, len, NULL));
}

/* The PKCS#7 body as served, wrapped as the verify-iid page tells users to. */
static void
write_pkcs7(const char *dir, const char *name, const char *body)
{
    g_autofree char *pem = g_strdup_printf("-----BEGIN PKCS7-----\n%s\n-----END PKCS7-----\n", body);

    write_file(dir, name, pem, -1);
}

static void
test_identity_signatures_verify_with_openssl(void **state)
{
    g_autofree char *tmp = g_dir_make_tmp("ami-run-identity-XXXXXX", NULL);
    g_autofree char *keys = g_build_filename(tmp, "identity", NULL);
    g_autofree char *rsa_crt = g_build_filename(keys, "rsa.crt", NULL);
    g_autofree char *dsa_crt = g_build_filename(keys, "dsa.crt", NULL);
    g_autofree char *out = NULL, *crt_before = NULL, *crt_after = NULL;
    g_autoptr(GError) error = NULL;
    AmiIdentitySignatures s = {0}, again = {0};
    g_autofree guchar *raw = NULL;
    gsize raw_len = 0;
    struct stat st;

    (void)state;
    g_autofree char *openssl = g_find_program_in_path("openssl");

    if (!openssl) {
        test_skip_part("test-identity", "the openssl command is not installed (scripts/install-deps)");
        return;
    }
    assert_true(ami_identity_sign(keys, doc, &s, &error));
    assert_null(error);
    {
        g_autofree char *rsa_key = g_build_filename(keys, "rsa.key", NULL);
        g_autofree char *dsa_key = g_build_filename(keys, "dsa.key", NULL);

        assert_int_equal(stat(rsa_key, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(stat(dsa_key, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }

    write_file(tmp, "document", doc, -1);
    /* Option 2: the base64 signature, `openssl dgst -sha256 -verify`. */
    raw = g_base64_decode(s.signature, &raw_len);
    assert_int_equal(raw_len, 256);
    write_file(tmp, "signature", (const char *)raw, (gssize)raw_len);
    {
        const char *const pub[] = {"openssl", "x509", "-pubkey", "-noout", "-in", rsa_crt, "-out", "key", NULL};
        const char *const dgst[] = {"openssl", "dgst", "-sha256", "-verify", "key", "-signature",
                                    "signature", "document", NULL};

        assert_int_equal(run_in(tmp, pub, NULL), 0);
        assert_int_equal(run_in(tmp, dgst, &out), 0);
        assert_string_equal(out, "Verified OK\n");
    }
    /* Options 1 and 3: pkcs7 (DSA) and rsa2048, `openssl smime -verify … -noverify`. */
    write_pkcs7(tmp, "pkcs7", s.pkcs7);
    write_pkcs7(tmp, "rsa2048", s.rsa2048);
    {
        const char *const p7[] = {"openssl", "smime", "-verify", "-in", "pkcs7", "-inform", "PEM",
                                  "-certfile", dsa_crt, "-noverify", NULL};
        const char *const r2k[] = {"openssl", "smime", "-verify", "-in", "rsa2048", "-inform", "PEM",
                                   "-certfile", rsa_crt, "-noverify", NULL};
        const char *const wrong[] = {"openssl", "smime", "-verify", "-in", "pkcs7", "-inform", "PEM",
                                     "-certfile", rsa_crt, "-noverify", NULL};
        const char *const algo[] = {"openssl", "pkcs7", "-in", "pkcs7", "-print", "-noout", NULL};

        g_free(out);
        assert_int_equal(run_in(tmp, p7, &out), 0);
        assert_string_equal(out, doc); /* the document is embedded, as EC2's */
        g_free(out);
        assert_int_equal(run_in(tmp, r2k, &out), 0);
        assert_string_equal(out, doc);
        g_free(out);
        assert_int_equal(run_in(tmp, wrong, &out), 1); /* not the signer's certificate */
        g_free(out);
        assert_int_equal(run_in(tmp, algo, &out), 0);
        assert_non_null(strstr(out, "algorithm: sha1"));
        assert_non_null(strstr(out, "dsa")); /* EC2: "a SHA1 hash … using a DSA key pair" */
    }
    /* A tampered document fails option 2. */
    write_file(tmp, "document", "{}", -1);
    {
        const char *const dgst[] = {"openssl", "dgst", "-sha256", "-verify", "key", "-signature",
                                    "signature", "document", NULL};

        g_free(out);
        assert_int_equal(run_in(tmp, dgst, &out), 1);
    }

    /* Made once: a second signing uses the same keys. */
    assert_true(g_file_get_contents(rsa_crt, &crt_before, NULL, NULL));
    assert_true(ami_identity_sign(keys, doc, &again, &error));
    assert_true(g_file_get_contents(rsa_crt, &crt_after, NULL, NULL));
    assert_string_equal(crt_before, crt_after);
    assert_string_equal(s.signature, again.signature); /* PKCS#1 v1.5 is deterministic */
    ami_identity_signatures_clear(&again);

    /* A corrupt key: an error that names the file; nothing is replaced. */
    write_file(keys, "dsa.key", "not a key\n", -1);
    assert_false(ami_identity_sign(keys, doc, &again, &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_CORRUPT));
    assert_error_contains(error, "dsa.key");
    assert_null(again.pkcs7);

    ami_identity_signatures_clear(&s);
    {
        const char *const rm[] = {"rm", "-rf", tmp, NULL};

        assert_int_equal(run_in("/", rm, NULL), 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_signatures_verify_with_openssl),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
