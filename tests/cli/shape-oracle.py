#!/usr/bin/python3
# Does a JSON document (stdin) fit a shape of botocore's EC2 model (the one Debian's
# awscli uses)?  Usage: shape-oracle.py SHAPE [< doc.json].  Every member must be one the
# model has, of the model's type (structure, list, string, boolean, integer, timestamp
# as EC2's ISO-8601 text), enum values among the model's; members named AmiRun are
# ami-run's own and skipped.  Prints one line per misfit and exits 1, or exits 0.
import json
import sys

MODEL = "/usr/lib/python3/dist-packages/awscli/botocore/data/ec2/2016-11-15/service-2.json"
shapes = json.load(open(MODEL))["shapes"]
errors = []


def check(value, shape_name, path):
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append("%s: expected a structure (%s)" % (path, shape_name))
            return
        for key, v in value.items():
            if key == "AmiRun":
                continue
            if key not in shape["members"]:
                errors.append("%s.%s: %s has no such member" % (path, key, shape_name))
                continue
            check(v, shape["members"][key]["shape"], path + "." + key)
    elif kind == "list":
        if not isinstance(value, list):
            errors.append("%s: expected a list (%s)" % (path, shape_name))
            return
        for i, v in enumerate(value):
            check(v, shape["member"]["shape"], "%s[%d]" % (path, i))
    elif kind in ("string", "timestamp"):
        if not isinstance(value, str):
            errors.append("%s: expected a string (%s)" % (path, shape_name))
        elif "enum" in shape and value not in shape["enum"]:
            errors.append("%s: '%s' is not one of %s" % (path, value, shape["enum"]))
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append("%s: expected a boolean (%s)" % (path, shape_name))
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append("%s: expected an integer (%s)" % (path, shape_name))
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append("%s: expected a number (%s)" % (path, shape_name))


check(json.load(sys.stdin), sys.argv[1], sys.argv[1])
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
