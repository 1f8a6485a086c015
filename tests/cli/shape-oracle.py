#!/usr/bin/python3
# Does a JSON reply (stdin) fit a shape of botocore's EC2 model (the copy Debian's AWS CLI
# runs)?  Every member, recursively, must be one the model has, of the model's type,
# enum values among the model's.  Usage: shape-oracle.py SHAPE [--allow-amirun]
# (e.g. DescribeImagesResult, DescribeInstanceStatusResult); --allow-amirun skips members
# named AmiRun (ami-run's own, where a reply keeps them on purpose).  Prints one line per
# misfit and exits 1, or exits 0 in silence.
import json
import sys

from awscli.botocore.loaders import Loader  # noqa: F401  (the same package the CLI uses)

MODEL = "/usr/lib/python3/dist-packages/awscli/botocore/data/ec2/2016-11-15/service-2.json"
# Members EC2 added to these shapes after awscli 2.9.19's copy of the model (botocore
# 1.43.x has them); ami-run prints them as current EC2 does (src/core/ec2-shape.c).
NEWER = {
    "Image": {"SourceInstanceId": "String", "DeregistrationProtection": "String",
              "LastLaunchedTime": "String", "ImageAllowed": "Boolean",
              "SourceImageId": "String", "SourceImageRegion": "String",
              "FreeTierEligible": "Boolean"},
    "Snapshot": {"SseType": "SSEType", "AvailabilityZone": "String",
                 "TransferType": "TransferType", "CompletionDurationMinutes": "Integer",
                 "CompletionTime": "MillisecondDateTime", "FullSnapshotSizeInBytes": "Long"},
    "EbsBlockDevice": {"AvailabilityZone": "String", "VolumeInitializationRate": "Integer",
                       "AvailabilityZoneId": "String", "EbsCardIndex": "Integer"},
}
EXTRA_SHAPES = {"SSEType": {"type": "string"}, "TransferType": {"type": "string"}}

shapes = json.load(open(MODEL))["shapes"]
shapes.update({k: v for k, v in EXTRA_SHAPES.items() if k not in shapes})
errors = []
ALLOW_AMIRUN = False

SCALARS = {"string": str, "boolean": bool, "integer": int, "long": int, "timestamp": str,
           "double": (int, float), "float": (int, float)}


def check(value, shape_name, path):
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append("%s: not a structure (%s)" % (path, shape_name))
            return
        members = {k: m["shape"] for k, m in shape["members"].items()}
        members.update(NEWER.get(shape_name, {}))
        for key, v in value.items():
            if key == "AmiRun" and ALLOW_AMIRUN:
                continue
            if key not in members:
                errors.append("%s.%s: not a member of %s" % (path, key, shape_name))
            else:
                check(v, members[key], "%s.%s" % (path, key))
    elif kind == "list":
        if not isinstance(value, list):
            errors.append("%s: not a list (%s)" % (path, shape_name))
            return
        for i, v in enumerate(value):
            check(v, shape["member"]["shape"], "%s[%d]" % (path, i))
    else:
        want = SCALARS[kind]
        if isinstance(value, bool) and kind != "boolean":
            errors.append("%s: a boolean where %s (%s) belongs" % (path, kind, shape_name))
        elif not isinstance(value, want):
            errors.append("%s: %r is not a %s (%s)" % (path, value, kind, shape_name))
        elif "enum" in shape and value not in shape["enum"]:
            errors.append("%s: %r is not one of %s" % (path, value, shape["enum"]))


ALLOW_AMIRUN = "--allow-amirun" in sys.argv[2:]
check(json.load(sys.stdin), sys.argv[1], sys.argv[1])
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
