#!/usr/bin/python3
# The oracle for tests/cli/test-wait.sh: botocore's own Waiter (the copy the AWS CLI in
# Debian's awscli package runs), fed by ami-run's describe verbs instead of EC2.
# Usage: waiter-oracle.py AMI_RUN WaiterName MAX_ATTEMPTS VERB NOT_FOUND_CODE [ARGS...]
# Prints what the AWS CLI prints on failure ("Waiter X failed: ...") and exits 255, or
# exits 0 in silence.  An operation that fails with "does not exist" is EC2's
# NOT_FOUND_CODE error; any other failure is fatal (exit 3).
import json
import subprocess
import sys

from awscli.botocore.exceptions import WaiterError
from awscli.botocore.waiter import SingleWaiterConfig, Waiter

MODEL = "/usr/lib/python3/dist-packages/awscli/botocore/data/ec2/2016-11-15/waiters-2.json"

ami_run, name, attempts, verb, not_found = sys.argv[1:6]
args = sys.argv[6:]
config = json.load(open(MODEL))["waiters"][name]


def operation(**kwargs):
    p = subprocess.run([ami_run, verb, *args], capture_output=True, text=True)
    if p.returncode == 0:
        response = json.loads(p.stdout)
        response["ResponseMetadata"] = {"HTTPStatusCode": 200}
        return response
    prefix = "ami-run: %s: " % verb
    message = p.stderr.strip()
    if p.returncode != 2 or not message.startswith(prefix) or "does not exist" not in message:
        sys.stderr.write("oracle: %s failed: %s\n" % (verb, message))
        sys.exit(3)
    message = message[len(prefix):]
    if message.startswith(not_found + ": "):  # EC2's message does not repeat the code
        message = message[len(not_found) + 2:]
    return {"Error": {"Code": not_found, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400}}


try:
    Waiter(name, SingleWaiterConfig(config), operation).wait(
        WaiterConfig={"Delay": 0, "MaxAttempts": int(attempts)})
except WaiterError as e:
    print(str(e))
    sys.exit(255)
