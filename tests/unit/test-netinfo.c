/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The instance's network as EC2 describes it (core/netinfo.c): region, names, ids, the
 * public loopback address, describe-instances' fields, and --metadata-options. */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/netinfo.h"
#include "ami-run/netrewrite.h"
#include "test-util.h"

static void
test_netinfo_region_is_the_flag_then_the_environment_then_us_east_1(void **state)
{
    (void)state;
    assert_string_equal(ami_region_pick("eu-west-3", "ap-south-1", "sa-east-1"), "eu-west-3");
    assert_string_equal(ami_region_pick(NULL, "ap-south-1", "sa-east-1"), "ap-south-1");
    assert_string_equal(ami_region_pick(NULL, "", "sa-east-1"), "sa-east-1");
    assert_string_equal(ami_region_pick(NULL, NULL, ""), "us-east-1");
    assert_string_equal(ami_region_pick("", "ap-south-1", NULL), ""); /* given: checked */
}

static void
test_netinfo_region_names_are_checked(void **state)
{
    const char *good[] = {"us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1",
                          "cn-north-1", "il-central-1"};
    const char *bad[] = {"", "us", "US-EAST-1", "us-east", "us_east-1", "us--east-1", "-east-1",
                         "us-east-1a", "east-1", "us-east-1\n", "us-east-1; rm"};

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
        assert_true(ami_region_check(good[i], NULL));
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        assert_false(ami_region_check(bad[i], &error));
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    }
}

static void
test_netinfo_names_follow_ec2s_hostname_rules(void **state)
{
    g_autofree char *east = ami_region_dhcp_domain("us-east-1");
    g_autofree char *paris = ami_region_dhcp_domain("eu-west-3");
    g_autofree char *zone = ami_region_zone("eu-west-3");
    g_autofree char *n1 = ami_net_private_dns_name(0xac1f04e9u, "us-east-1");
    g_autofree char *n2 = ami_net_private_dns_name(0xac1f04e9u, "eu-west-3");

    (void)state;
    assert_string_equal(east, "ec2.internal");
    assert_string_equal(paris, "eu-west-3.compute.internal");
    assert_string_equal(zone, "eu-west-3a");
    assert_string_equal(n1, "ip-172-31-4-233.ec2.internal");
    assert_string_equal(n2, "ip-172-31-4-233.eu-west-3.compute.internal");
}

static void
test_netinfo_public_ip_is_a_stable_loopback_address(void **state)
{
    GHashTable *seen = g_hash_table_new(NULL, NULL);

    (void)state;
    assert_int_equal(ami_net_public_ip_for("i-0123456789abcdef0"),
                     ami_net_public_ip_for("i-0123456789abcdef0"));
    for (guint i = 0; i < 3000; i++) {
        g_autofree char *id = g_strdup_printf("i-%017x", i * 7919u);
        guint32 a = ami_net_public_ip_for(id);

        assert_int_equal(a >> 16, 0x7f64); /* 127.100/16 */
        assert_true((a & 0xff) >= 1 && (a & 0xff) <= 254);
        g_hash_table_add(seen, GUINT_TO_POINTER(a));
    }
    assert_true(g_hash_table_size(seen) > 2800); /* spread, not a handful of addresses */
    g_hash_table_unref(seen);
}

static void
test_netinfo_describe_fields_share_the_imds_ids(void **state)
{
    AmiNetFacts f = {.instance_id = "i-0123456789abcdef0", .mac = "52:54:00:12:34:56",
                     .region = "eu-west-3", .private_ip = 0xac1f04e9u, .public_ip = 0x7f640102u};
    g_autoptr(json_t) j = ami_net_instance_fields(&f);
    g_autofree char *eni = ami_net_derived_id("eni-", f.instance_id);
    json_t *nic = json_array_get(json_object_get(j, "NetworkInterfaces"), 0);

    (void)state;
    assert_string_equal(eni, "eni-0123456789abcdef0");
    assert_string_equal(json_string_value(json_object_get(j, "PrivateIpAddress")), "172.31.4.233");
    assert_string_equal(json_string_value(json_object_get(j, "PrivateDnsName")),
                        "ip-172-31-4-233.eu-west-3.compute.internal");
    assert_string_equal(json_string_value(json_object_get(j, "PublicIpAddress")), "127.100.1.2");
    assert_string_equal(json_string_value(json_object_get(j, "PublicDnsName")), "");
    assert_string_equal(json_string_value(json_object_get(nic, "NetworkInterfaceId")), eni);
    assert_string_equal(json_string_value(json_object_get(nic, "SubnetId")),
                        "subnet-0123456789abcdef0");
    assert_string_equal(json_string_value(json_object_get(nic, "VpcId")), "vpc-0123456789abcdef0");
    assert_string_equal(json_string_value(json_object_get(nic, "MacAddress")), f.mac);
    assert_string_equal(json_string_value(json_object_get(json_object_get(nic, "Association"),
                                                          "PublicIp")), "127.100.1.2");
    f.public_ip = 0;
    json_decref(j);
    j = ami_net_instance_fields(&f);
    assert_null(json_object_get(j, "PublicIpAddress"));
    assert_null(json_object_get(json_array_get(json_object_get(j, "NetworkInterfaces"), 0),
                                "Association"));
}

static void
test_netinfo_metadata_options_defaults_shorthand_and_json(void **state)
{
    g_autoptr(json_t) d = ami_metadata_options_parse(NULL, "optional", NULL);
    g_autoptr(json_t) v2 = ami_metadata_options_parse(NULL, "required", NULL);
    g_autoptr(json_t) s = ami_metadata_options_parse(
        "HttpTokens=required,HttpEndpoint=disabled,InstanceMetadataTags=enabled,"
        "HttpPutResponseHopLimit=5", "optional", NULL);
    g_autoptr(json_t) j = ami_metadata_options_parse("{\"HttpPutResponseHopLimit\": 64}",
                                                     "optional", NULL);

    (void)state;
    assert_string_equal(json_string_value(json_object_get(d, "HttpTokens")), "optional");
    assert_int_equal(json_integer_value(json_object_get(d, "HttpPutResponseHopLimit")), 1);
    assert_string_equal(json_string_value(json_object_get(d, "HttpEndpoint")), "enabled");
    assert_string_equal(json_string_value(json_object_get(d, "State")), "applied");
    assert_string_equal(json_string_value(json_object_get(v2, "HttpTokens")), "required");
    assert_int_equal(json_integer_value(json_object_get(v2, "HttpPutResponseHopLimit")), 2);
    assert_string_equal(json_string_value(json_object_get(s, "HttpTokens")), "required");
    assert_string_equal(json_string_value(json_object_get(s, "HttpEndpoint")), "disabled");
    assert_string_equal(json_string_value(json_object_get(s, "InstanceMetadataTags")), "enabled");
    assert_int_equal(json_integer_value(json_object_get(s, "HttpPutResponseHopLimit")), 5);
    assert_int_equal(json_integer_value(json_object_get(j, "HttpPutResponseHopLimit")), 64);
}

static void
test_netinfo_metadata_options_refusals(void **state)
{
    const char *bad[] = {"HttpTokens=maybe", "HttpEndpoint=on", "InstanceMetadataTags=",
                         "HttpPutResponseHopLimit=0", "HttpPutResponseHopLimit=65",
                         "HttpPutResponseHopLimit=x", "Bogus=1", "HttpTokens=[a",
                         "{\"HttpTokens\": 1}", "[1]", "{\"HttpPutResponseHopLimit\": -1}",
                         "HttpTokens=required,HttpTokens=optional"};

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(json_t) j = ami_metadata_options_parse(bad[i], "optional", &error);

        if (j)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
        assert_null(strchr(error->message, '\n'));
    }
}

static void
test_netinfo_enum_tables_both_ways(void **state)
{
    (void)state;
    for (int i = 0; i < AMI_NET_MODE_LAST; i++) {
        AmiNetMode m;

        assert_true(ami_net_mode_from_string(ami_net_mode_to_string((AmiNetMode)i), &m));
        assert_int_equal(m, i);
    }
    for (int i = 0; i < AMI_METADATA_LAST; i++) {
        AmiMetadataSource m;

        assert_true(ami_metadata_source_from_string(
            ami_metadata_source_to_string((AmiMetadataSource)i), &m));
        assert_int_equal(m, i);
    }
    assert_null(ami_net_mode_to_string(AMI_NET_MODE_LAST));
    assert_false(ami_net_mode_from_string("bridge", &(AmiNetMode){0}));
    assert_false(ami_metadata_source_from_string(NULL, &(AmiMetadataSource){0}));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_netinfo_region_is_the_flag_then_the_environment_then_us_east_1),
        cmocka_unit_test(test_netinfo_region_names_are_checked),
        cmocka_unit_test(test_netinfo_names_follow_ec2s_hostname_rules),
        cmocka_unit_test(test_netinfo_public_ip_is_a_stable_loopback_address),
        cmocka_unit_test(test_netinfo_describe_fields_share_the_imds_ids),
        cmocka_unit_test(test_netinfo_metadata_options_defaults_shorthand_and_json),
        cmocka_unit_test(test_netinfo_metadata_options_refusals),
        cmocka_unit_test(test_netinfo_enum_tables_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
