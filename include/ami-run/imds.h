/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The emulated EC2 instance metadata service (docs/imds.md): the metadata tree as a
 * pure function of (instance record, image, user data, network facts, request, token
 * state, time).  No sockets, no clock, no randomness: the time and the token secret
 * are passed in.  The EC2 rules it follows are in ../shared/docs/network-imds.md and
 * the EC2 user guide (instancedata-data-retrieval, configuring-instance-metadata-service).
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/http-request.h"

G_BEGIN_DECLS

/* Token lifetimes, seconds (EC2: "a minimum of one second and a maximum of six hours"). */
#define AMI_IMDS_TOKEN_TTL_MIN 1
#define AMI_IMDS_TOKEN_TTL_MAX 21600
/* Live tokens kept; beyond it the one nearest to expiry is forgotten. */
#define AMI_IMDS_TOKENS_MAX 1024
/* The token secret's least length, bytes. */
#define AMI_IMDS_SECRET_MIN 16

/* MetadataOptions.HttpTokens (botocore ec2 HttpTokensState). */
typedef enum {
    AMI_IMDS_TOKENS_OPTIONAL,
    AMI_IMDS_TOKENS_REQUIRED,
    AMI_IMDS_TOKENS_LAST
} AmiImdsHttpTokens;

/* MetadataOptions.HttpEndpoint and .InstanceMetadataTags. */
typedef enum {
    AMI_IMDS_DISABLED,
    AMI_IMDS_ENABLED,
    AMI_IMDS_SWITCH_LAST
} AmiImdsSwitch;

const char *ami_imds_http_tokens_to_string(AmiImdsHttpTokens v);
gboolean ami_imds_http_tokens_from_string(const char *s, AmiImdsHttpTokens *ret);
const char *ami_imds_switch_to_string(AmiImdsSwitch v);
gboolean ami_imds_switch_from_string(const char *s, AmiImdsSwitch *ret);

typedef struct {
    const char *name;        /* KeyName, listed as "0=name" */
    const char *openssh_key; /* served byte-exact as public-keys/N/openssh-key */
} AmiImdsPublicKey;

/* What the guest's network looks like (the DHCP lease must agree with it). */
typedef struct {
    const char *private_ipv4; /* required */
    const char *mac;          /* required, lower-case aa:bb:cc:dd:ee:ff */
    const char *subnet_cidr;  /* required */
    const char *vpc_cidr;     /* required */
    const char *hostname;     /* NULL: ip-A-B-C-D.<region>.compute.internal */
    const char *public_ipv4;  /* NULL: none, and public-* are not served */
    const char *subnet_id;    /* NULL: subnet-<the instance id's hex> */
    const char *vpc_id;       /* NULL: vpc-<hex> */
    const char *interface_id; /* NULL: eni-<hex> */
    const char *security_group_id;   /* NULL: sg-<hex> */
    const char *security_group_name; /* NULL: "default" */
} AmiImdsNetwork;

/*
 * Everything borrowed for the duration of ami_imds_context_new().  From @instance (the
 * instance record, describe-instances shape): InstanceId, ImageId, InstanceType,
 * LaunchTime, Architecture, RootDeviceName, BlockDeviceMappings, Tags,
 * MetadataOptions and AmiRun.Disks (which disks are instance store).  From @image
 * (describe-images shape): ImdsSupport, KernelId, RamdiskId, ProductCodes.
 */
typedef struct {
    const json_t *instance;     /* required */
    const json_t *image;        /* required */
    GBytes *user_data;          /* NULL: none (user-data is 404) */
    const char *region;         /* required, e.g. "us-east-1" */
    const char *availability_zone;    /* required, e.g. "us-east-1a" */
    const char *availability_zone_id; /* NULL: placement/availability-zone-id not served */
    const char *account_id;     /* NULL: "000000000000" */
    AmiImdsNetwork net;
    const AmiImdsPublicKey *public_keys; /* may be NULL */
    gsize n_public_keys;
    GBytes *token_secret;       /* required, at least AMI_IMDS_SECRET_MIN bytes */
    /*
     * dynamic/instance-identity/{signature,pkcs7,rsa2048}, made over the exact bytes of
     * ami_imds_identity_document() (src/host/identity.c); NULL: not listed, 404.
     */
    const char *identity_signature;
    const char *identity_pkcs7;
    const char *identity_rsa2048;
} AmiImdsSpec;

typedef struct AmiImdsContext AmiImdsContext;

/**
 * ami_imds_context_new() - validate @spec and build the metadata tree.  Missing or
 * malformed members, values with control characters and tag keys EC2 would not put
 * in the metadata are AMI_ERROR_INVALID.  Returns a new context, owned by the caller.
 */
AmiImdsContext *ami_imds_context_new(const AmiImdsSpec *spec, GError **error);
void ami_imds_context_free(AmiImdsContext *ctx);

/**
 * ami_imds_identity_document() - the bytes served as dynamic/instance-identity/document
 * for @spec (what the signatures sign).  The token secret and the identity_* members are
 * not needed.  Returns a new string, or NULL with AMI_ERROR_INVALID as
 * ami_imds_context_new().
 */
char *ami_imds_identity_document(const AmiImdsSpec *spec, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiImdsContext, ami_imds_context_free)

/** ami_imds_context_http_tokens() - the effective HttpTokens (ImdsSupport v2.0: required). */
AmiImdsHttpTokens ami_imds_context_http_tokens(const AmiImdsContext *ctx);

/* The live IMDSv2 session tokens of one instance: state kept by the server. */
typedef struct AmiImdsTokens AmiImdsTokens;

/** ami_imds_tokens_new() - an empty token table; free it. */
AmiImdsTokens *ami_imds_tokens_new(void);
void ami_imds_tokens_free(AmiImdsTokens *tokens);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiImdsTokens, ami_imds_tokens_free)

/** ami_imds_tokens_count() - how many tokens are live at @now_s (expired ones dropped). */
guint ami_imds_tokens_count(AmiImdsTokens *tokens, gint64 now_s);

/**
 * ami_imds_respond() - the answer to @req at Unix time @now_s: a token for
 * `PUT /latest/api/token` (recorded in @tokens), a value, a listing, or an EC2-style
 * error.  Never fails: every request gets a response, owned by the caller.
 */
AmiHttpResponse *ami_imds_respond(const AmiImdsContext *ctx, const AmiHttpRequest *req,
                                  gint64 now_s, AmiImdsTokens *tokens);

/**
 * ami_imds_error_response() - the response for a request the parser rejected
 * (@status is the AMI_HTTP_ERROR code), with "Connection: close".  Owned by the caller.
 */
AmiHttpResponse *ami_imds_error_response(guint status, gint64 now_s);

G_END_DECLS
