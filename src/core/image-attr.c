/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Image attributes and CopyImage (docs/images.md), after EC2's model (botocore ec2
 * 2016-11-15: ModifyImageAttributeRequest, ImageAttribute, LaunchPermission, CopyImageRequest)
 * and the AWS CLI's examples (modify-image-attribute.rst, copy-image.rst).
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/image-attr.h"

/* AWS Organizations' ARN shapes (organizations' Organization.Arn / OrganizationalUnit.Arn). */
#define ORG_ARN_RE "^arn:aws[a-z-]*:organizations::[0-9]{12}:organization/o-[a-z0-9]{10,32}$"
#define OU_ARN_RE                                                                          \
    "^arn:aws[a-z-]*:organizations::[0-9]{12}:ou/o-[a-z0-9]{10,32}/"                       \
    "ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$"

static const char *const launch_permission_members[] = {"UserId", "Group", "OrganizationArn",
                                                        "OrganizationalUnitArn", NULL};

/* A whole-string match: without DOLLAR_ENDONLY, '$' also matches before a final '\n'. */
static gboolean
matches(const char *re, const char *s)
{
    return s && g_regex_match_simple(re, s, G_REGEX_DOLLAR_ENDONLY, 0);
}

static gboolean
is_account_id(const char *s)
{
    return matches("^[0-9]{12}$", s);
}

json_t *
ami_image_launch_permissions(json_t *image)
{
    json_t *kept = json_object_get(json_object_get(image, "AmiRun"), "LaunchPermissions");

    if (json_is_array(kept))
        return json_deep_copy(kept);
    if (json_is_true(json_object_get(image, "Public")))
        return json_pack("[{s:s}]", "Group", "all");
    return json_array();
}

gboolean
ami_launch_permission_check(json_t *permission, const char *what, GError **error)
{
    const char *key;
    json_t *v;
    guint n = 0;

    if (!json_is_object(permission))
        return ami_error_invalid(error, "%s: a launch permission is an object like "
                                 "{\"UserId\": \"123456789012\"}", what);
    json_object_foreach(permission, key, v) {
        const char *s = json_string_value(v);

        if (!g_strv_contains(launch_permission_members, key))
            return ami_error_invalid(error, "%s: unknown member '%.40s' (UserId, Group, "
                                     "OrganizationArn or OrganizationalUnitArn)", what, key);
        if (!s)
            return ami_error_invalid(error, "%s: %s must be a string", what, key);
        if (strcmp(key, "UserId") == 0 && !is_account_id(s))
            return ami_error_invalid(error, "%s: UserId '%.40s' is not a 12-digit account id",
                                     what, s);
        if (strcmp(key, "Group") == 0 && strcmp(s, "all") != 0)
            return ami_error_invalid(error, "%s: Group '%.40s' is not 'all' (the only group)",
                                     what, s);
        if (strcmp(key, "OrganizationArn") == 0 && !matches(ORG_ARN_RE, s))
            return ami_error_invalid(error, "%s: OrganizationArn '%.120s' is not an organization "
                                     "ARN (arn:aws:organizations::ACCOUNT:organization/o-…)", what, s);
        if (strcmp(key, "OrganizationalUnitArn") == 0 && !matches(OU_ARN_RE, s))
            return ami_error_invalid(error, "%s: OrganizationalUnitArn '%.120s' is not an OU ARN "
                                     "(arn:aws:organizations::ACCOUNT:ou/o-…/ou-…)", what, s);
        n++;
    }
    if (n != 1)
        return ami_error_invalid(error, "%s: a launch permission names exactly one of UserId, "
                                 "Group, OrganizationArn or OrganizationalUnitArn", what);
    return TRUE;
}

static gboolean
list_has(json_t *list, json_t *item)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v) {
        if (json_equal(v, item))
            return TRUE;
    }
    return FALSE;
}

/* Check every item of @list (NULL: none) under the name @what. */
static gboolean
check_permissions(json_t *list, const char *what, GError **error)
{
    size_t i;
    json_t *v;

    if (!list)
        return TRUE;
    if (!json_is_array(list))
        return ami_error_invalid(error, "%s must be a list of launch permissions", what);
    json_array_foreach(list, i, v) {
        g_autofree char *label = g_strdup_printf("%s[%zu]", what, i);

        if (!ami_launch_permission_check(v, label, error))
            return FALSE;
    }
    return TRUE;
}

/* The request's OperationType form (UserIds, UserGroups, …) as a list of permissions. */
static json_t *
permissions_from_lists(json_t *request, GError **error)
{
    static const struct {
        const char *list, *member;
    } forms[] = {{"UserIds", "UserId"},
                 {"UserGroups", "Group"},
                 {"OrganizationArns", "OrganizationArn"},
                 {"OrganizationalUnitArns", "OrganizationalUnitArn"}};
    g_autoptr(json_t) out = json_array();

    for (size_t f = 0; f < G_N_ELEMENTS(forms); f++) {
        json_t *list = json_object_get(request, forms[f].list);
        size_t i;
        json_t *v;

        if (list && !json_is_array(list)) {
            ami_error_invalid(error, "%s must be a list of strings", forms[f].list);
            return NULL;
        }
        json_array_foreach(list, i, v) {
            g_autofree char *label = g_strdup_printf("%s[%zu]", forms[f].list, i);
            json_t *p = json_pack("{s:O}", forms[f].member, v);

            json_array_append_new(out, p);
            if (!ami_launch_permission_check(p, label, error))
                return NULL;
        }
    }
    return g_steal_pointer(&out);
}

static gboolean
has_product_codes(json_t *image)
{
    return json_array_size(json_object_get(image, "ProductCodes")) > 0;
}

static void
set_permissions(json_t *image, json_t *perms)
{
    json_t *amirun = json_object_get(image, "AmiRun");
    json_t *all = json_pack("{s:s}", "Group", "all");

    if (!json_is_object(amirun)) {
        amirun = json_object();
        json_object_set_new(image, "AmiRun", amirun);
    }
    /* Public is what DescribeImages shows; the permissions themselves are private data. */
    json_object_set_new(image, "Public", json_boolean(list_has(perms, all)));
    json_object_set(amirun, "LaunchPermissions", perms);
    json_decref(all);
}

/* Add, then remove (EC2 accepts both in one request); adding is idempotent. */
static gboolean
modify_launch_permission(json_t *image, json_t *add, json_t *remove, GError **error)
{
    g_autoptr(json_t) perms = ami_image_launch_permissions(image);
    g_autoptr(json_t) kept = json_array();
    g_autoptr(json_t) all = json_pack("{s:s}", "Group", "all");
    size_t i;
    json_t *v;

    if (!check_permissions(add, "LaunchPermission.Add", error) ||
        !check_permissions(remove, "LaunchPermission.Remove", error))
        return FALSE;
    if (json_array_size(add) + json_array_size(remove) == 0)
        return ami_error_invalid(error, "the launch permission change names no permission "
                                 "(Add=[{UserId=…}] or Remove=[…])");
    /* ModifyImageAttribute's doc: Marketplace images cannot be made public. */
    if (add && list_has(add, all) && has_product_codes(image))
        return ami_error_invalid(error, "an image with product codes cannot be made public");
    json_array_foreach(add, i, v) {
        if (!list_has(perms, v))
            json_array_append(perms, v);
    }
    json_array_foreach(perms, i, v) {
        if (!remove || !list_has(remove, v))
            json_array_append(kept, v);
    }
    set_permissions(image, kept);
    return TRUE;
}

/* The Value of an AttributeValue member, or the request's plain Value. */
static const char *
attribute_value(json_t *request, const char *member, GError **error)
{
    json_t *av = json_object_get(request, member);
    json_t *v = av ? (json_is_object(av) ? json_object_get(av, "Value") : NULL)
                   : json_object_get(request, "Value");

    if (!json_is_string(v)) {
        ami_error_invalid(error, "%s needs a string Value (--%s Value=…)", member,
                          strcmp(member, "Description") == 0 ? "description" : "imds-support");
        return NULL;
    }
    return json_string_value(v);
}

/* Which attribute a request changes: Attribute, or the one member it gives. */
static const char *
requested_attribute(json_t *request, GError **error)
{
    const char *attr = json_string_value(json_object_get(request, "Attribute"));
    guint n = 0;
    const char *given = NULL;

    if (json_object_get(request, "LaunchPermission") || json_object_get(request, "OperationType") ||
        json_object_get(request, "UserIds") || json_object_get(request, "UserGroups") ||
        json_object_get(request, "OrganizationArns") ||
        json_object_get(request, "OrganizationalUnitArns"))
        n++, given = "launchPermission";
    if (json_object_get(request, "Description"))
        n++, given = "description";
    if (json_object_get(request, "ImdsSupport"))
        n++, given = "imdsSupport";
    if (json_object_get(request, "ProductCodes")) {
        ami_error_invalid(error, "ProductCodes cannot be modified (EC2: not supported)");
        return NULL;
    }
    if (n > 1 || (attr && given && strcmp(attr, given) != 0)) {
        ami_error_invalid(error, "modify one attribute at a time (launchPermission, description "
                          "or imdsSupport)");
        return NULL;
    }
    if (!attr && !given) {
        ami_error_invalid(error, "nothing to modify: give --launch-permission, --description, "
                          "--imds-support or --attribute");
        return NULL;
    }
    attr = attr ? attr : given;
    if (strcmp(attr, "launchPermission") != 0 && strcmp(attr, "description") != 0 &&
        strcmp(attr, "imdsSupport") != 0) {
        ami_error_invalid(error, "--attribute '%.40s' cannot be modified (launchPermission, "
                          "description or imdsSupport)", attr);
        return NULL;
    }
    return attr;
}

static gboolean
modify_permissions_request(json_t *image, json_t *request, GError **error)
{
    json_t *lp = json_object_get(request, "LaunchPermission");
    const char *op = json_string_value(json_object_get(request, "OperationType"));
    g_autoptr(json_t) listed = NULL;

    if (lp) {
        const char *key;
        json_t *v;

        if (!json_is_object(lp))
            return ami_error_invalid(error, "LaunchPermission must be {\"Add\": […], \"Remove\": […]}");
        json_object_foreach(lp, key, v) {
            if (strcmp(key, "Add") != 0 && strcmp(key, "Remove") != 0)
                return ami_error_invalid(error, "LaunchPermission: unknown member '%.40s' "
                                         "(Add or Remove)", key);
        }
        if (op || json_object_get(request, "UserIds") || json_object_get(request, "UserGroups") ||
            json_object_get(request, "OrganizationArns") ||
            json_object_get(request, "OrganizationalUnitArns"))
            return ami_error_invalid(error, "give either --launch-permission or --operation-type "
                                     "with --user-ids/--user-groups/…, not both");
        return modify_launch_permission(image, json_object_get(lp, "Add"),
                                        json_object_get(lp, "Remove"), error);
    }
    if (!op || (strcmp(op, "add") != 0 && strcmp(op, "remove") != 0))
        return ami_error_invalid(error, "--operation-type must be add or remove for "
                                 "launchPermission");
    if (!(listed = permissions_from_lists(request, error)))
        return FALSE;
    return strcmp(op, "add") == 0 ? modify_launch_permission(image, listed, NULL, error)
                                  : modify_launch_permission(image, NULL, listed, error);
}

gboolean
ami_image_modify_attribute(json_t *image, json_t *request, GError **error)
{
    g_autoptr(json_t) work = json_deep_copy(image);
    const char *attr = requested_attribute(request, error);
    const char *value;

    if (!attr)
        return FALSE;
    if (strcmp(attr, "launchPermission") == 0) {
        if (!modify_permissions_request(work, request, error))
            return FALSE;
    } else if (strcmp(attr, "description") == 0) {
        if (!(value = attribute_value(request, "Description", error)))
            return FALSE;
        if (!g_utf8_validate(value, -1, NULL) || g_utf8_strlen(value, -1) > 255)
            return ami_error_invalid(error, "Description must be valid UTF-8 of at most 255 "
                                     "characters");
        json_object_set_new(work, "Description", json_string(value));
    } else {
        if (!(value = attribute_value(request, "ImdsSupport", error)))
            return FALSE;
        /* The model: "After you set the value to v2.0, you can't undo it." */
        if (strcmp(value, "v2.0") != 0)
            return ami_error_invalid(error, "ImdsSupport '%.40s': the only value is v2.0, and "
                                     "it cannot be undone", value);
        json_object_set_new(work, "ImdsSupport", json_string(value));
    }
    json_object_clear(image);
    json_object_update(image, work);
    return TRUE;
}

/* {"Value": the image's @member} or {} when it has none. */
static json_t *
value_of(json_t *image, const char *member)
{
    json_t *v = json_object_get(image, member);

    if (json_is_string(v))
        return json_pack("{s:O}", "Value", v);
    if (json_is_boolean(v) || json_is_integer(v)) {
        g_autofree char *text = json_dumps(v, JSON_ENCODE_ANY);
        return json_pack("{s:s}", "Value", text);
    }
    return json_object();
}

json_t *
ami_image_describe_attribute(json_t *image, const char *attribute, GError **error)
{
    /* ImageAttributeName -> the ImageAttribute member and the Image member it reports. */
    static const struct {
        const char *name, *reply, *member;
    } values[] = {
        {"description", "Description", "Description"},
        {"kernel", "KernelId", "KernelId"},
        {"ramdisk", "RamdiskId", "RamdiskId"},
        {"sriovNetSupport", "SriovNetSupport", "SriovNetSupport"},
        {"bootMode", "BootMode", "BootMode"},
        {"tpmSupport", "TpmSupport", "TpmSupport"},
        {"lastLaunchedTime", "LastLaunchedTime", "LastLaunchedTime"},
        {"imdsSupport", "ImdsSupport", "ImdsSupport"},
        {"deregistrationProtection", "DeregistrationProtection", "DeregistrationProtection"},
    };
    g_autoptr(json_t) reply = json_pack("{s:O?}", "ImageId", json_object_get(image, "ImageId"));

    if (!attribute)
        return ami_error_invalid(error, "--attribute is required"), NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        if (strcmp(attribute, values[i].name) == 0) {
            json_object_set_new(reply, values[i].reply, value_of(image, values[i].member));
            return g_steal_pointer(&reply);
        }
    }
    if (strcmp(attribute, "launchPermission") == 0) {
        json_object_set_new(reply, "LaunchPermissions", ami_image_launch_permissions(image));
    } else if (strcmp(attribute, "productCodes") == 0) {
        json_t *pc = json_object_get(image, "ProductCodes");

        json_object_set_new(reply, "ProductCodes", json_is_array(pc) ? json_deep_copy(pc)
                                                                     : json_array());
    } else if (strcmp(attribute, "uefiData") == 0) {
        /* RegisterImage's UefiData (base64), kept as registered, or what a capture stored. */
        json_t *u = json_object_get(image, "UefiData");

        if (!u)
            u = json_object_get(json_object_get(image, "AmiRun"), "UefiData");
        json_object_set_new(reply, "UefiData", json_is_string(u) ? json_pack("{s:O}", "Value", u)
                                                                 : json_object());
    } else if (strcmp(attribute, "blockDeviceMapping") == 0) {
        /* DescribeImageAttribute's doc: deprecated, "returns the Client.AuthFailure error". */
        ami_error_invalid(error, "AuthFailure: the blockDeviceMapping attribute is deprecated "
                          "(EC2 refuses it too); describe-images shows BlockDeviceMappings");
        return NULL;
    } else {
        ami_error_invalid(error, "--attribute '%.40s' is not one of description, kernel, "
                          "ramdisk, launchPermission, productCodes, blockDeviceMapping, "
                          "sriovNetSupport, bootMode, tpmSupport, uefiData, lastLaunchedTime, "
                          "imdsSupport, deregistrationProtection", attribute);
        return NULL;
    }
    return g_steal_pointer(&reply);
}

gboolean
ami_image_reset_attribute(json_t *image, const char *attribute, GError **error)
{
    g_autoptr(json_t) none = json_array();

    if (!attribute || strcmp(attribute, "launchPermission") != 0)
        return ami_error_invalid(error, "--attribute '%.40s': only launchPermission can be "
                                 "reset", attribute ? attribute : "");
    set_permissions(image, none);
    return TRUE;
}

gboolean
ami_executable_user_check(const char *user, GError **error)
{
    if (strcmp(user, "self") == 0 || strcmp(user, "all") == 0 || is_account_id(user))
        return TRUE;
    return ami_error_invalid(error, "--executable-users '%.40s' is not self, all or a 12-digit "
                             "account id", user);
}

gboolean
ami_image_executable_by(json_t *image, const char *user, const char *self_account)
{
    g_autoptr(json_t) perms = ami_image_launch_permissions(image);
    g_autoptr(json_t) want = NULL;

    if (strcmp(user, "all") == 0)
        want = json_pack("{s:s}", "Group", "all");
    else
        want = json_pack("{s:s}", "UserId", strcmp(user, "self") == 0 ? self_account : user);
    /* This store belongs to no organization: OU and organization shares never match. */
    return list_has(perms, want);
}

/* User tags of @tags (never aws: ones: CopyImageTags' doc), as a new list. */
static json_t *
user_tags(json_t *tags)
{
    json_t *out = json_array();
    size_t i;
    json_t *t;

    json_array_foreach(tags, i, t) {
        const char *key = json_string_value(json_object_get(t, "Key"));

        if (key && !g_str_has_prefix(key, "aws:"))
            json_array_append(out, t);
    }
    return out;
}

static void
copy_mappings(json_t *image, const AmiImageCopy *copy)
{
    json_t *bdms = json_object_get(image, "BlockDeviceMappings");
    size_t i;
    json_t *m;

    json_array_foreach(bdms, i, m) {
        json_t *ebs = json_object_get(m, "Ebs");
        const char *snap = json_string_value(json_object_get(ebs, "SnapshotId"));
        const char *to = snap ? g_hash_table_lookup(copy->snapshot_ids, snap) : NULL;

        if (!json_is_object(ebs))
            continue;
        if (to)
            json_object_set_new(ebs, "SnapshotId", json_string(to));
        /* Unencrypted to encrypted is allowed; the reverse is not, so a true stays true. */
        if (copy->encrypted)
            json_object_set_new(ebs, "Encrypted", json_true());
        if (copy->kms_key_id)
            json_object_set_new(ebs, "KmsKeyId", json_string(copy->kms_key_id));
    }
}

json_t *
ami_image_copy(json_t *source, const AmiImageCopy *copy)
{
    /* What belongs to the source AMI alone and is not copied (CopyingAMIs.md, the model). */
    static const char *const dropped[] = {
        "AmiRun", "Tags", "Description", "StateReason", "DeprecationTime", "LastLaunchedTime",
        "SourceInstanceId", "ImageOwnerAlias", "DeregistrationProtection", "ImageAllowed",
        "SourceImageId", "SourceImageRegion", NULL};
    json_t *image = json_deep_copy(source);
    g_autofree char *location = g_strdup_printf("%s/%s", copy->owner_id, copy->name);

    for (const char *const *k = dropped; *k; k++)
        json_object_del(image, *k);
    json_object_set_new(image, "ImageId", json_string(copy->image_id));
    json_object_set_new(image, "Name", json_string(copy->name));
    if (copy->description)
        json_object_set_new(image, "Description", json_string(copy->description));
    json_object_set_new(image, "ImageLocation", json_string(location));
    json_object_set_new(image, "OwnerId", json_string(copy->owner_id));
    json_object_set_new(image, "CreationDate", json_string(copy->now));
    /* The data is shared, not transferred: nothing to wait for. */
    json_object_set_new(image, "State", json_string("available"));
    /* "AWS does not copy launch permissions … from the source AMI." */
    json_object_set_new(image, "Public", json_false());
    json_object_set_new(image, "SourceImageId", json_incref(json_object_get(source, "ImageId")));
    json_object_set_new(image, "SourceImageRegion", json_string(copy->source_region));
    json_object_set_new(image, "Tags", copy->copy_tags ? user_tags(json_object_get(source, "Tags"))
                                                       : json_array());
    copy_mappings(image, copy);
    return image;
}

/* 1566308778174 -> "1,566,308,778,174", as EC2 writes "Task created on". */
static char *
thousands(gint64 n)
{
    g_autofree char *digits = g_strdup_printf("%" G_GINT64_FORMAT, n < 0 ? 0 : n);
    GString *out = g_string_new(NULL);
    size_t len = strlen(digits);

    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, digits[i]);
    }
    return g_string_free(out, FALSE);
}

json_t *
ami_snapshot_copy(json_t *source, const char *snapshot_id, const char *source_image_id,
                  const AmiImageCopy *copy)
{
    json_t *rec = json_deep_copy(source);
    json_t *amirun = json_object_get(rec, "AmiRun");
    g_autofree char *task = thousands(copy->now_ms);
    g_autofree char *description = g_strdup_printf(
        "Copied for DestinationAmi %s from SourceAmi %s for SourceSnapshot %s. Task created on %s.",
        copy->image_id, source_image_id, json_string_value(json_object_get(source, "SnapshotId")),
        task);

    if (json_is_object(amirun))
        json_object_del(amirun, "Region"); /* the caller sets the copy's */
    json_object_set_new(rec, "SnapshotId", json_string(snapshot_id));
    json_object_set_new(rec, "VolumeId", json_string("vol-ffffffff"));
    json_object_set_new(rec, "Description", json_string(description));
    json_object_set_new(rec, "StartTime", json_string(copy->now));
    json_object_set_new(rec, "OwnerId", json_string(copy->owner_id));
    json_object_set_new(rec, "State", json_string("completed"));
    json_object_set_new(rec, "Progress", json_string("100%"));
    json_object_set_new(rec, "Tags", json_array());
    if (copy->encrypted)
        json_object_set_new(rec, "Encrypted", json_true());
    if (copy->kms_key_id)
        json_object_set_new(rec, "KmsKeyId", json_string(copy->kms_key_id));
    return rec;
}
