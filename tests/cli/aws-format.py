#!/usr/bin/python3
# The AWS CLI's own formatter as a test oracle (Debian package awscli): format the JSON
# on stdin as `aws --output FORMAT [--query EXPR]` would print that response.
# Usage: aws-format.py json|text|table [EXPR]
import argparse
import json
import sys

import jmespath
from awscli.formatter import get_formatter

doc = json.load(sys.stdin)
query = jmespath.compile(sys.argv[2]) if len(sys.argv) > 2 else None
args = argparse.Namespace(query=query, color='off')
get_formatter(sys.argv[1], args)(sys.argv[3] if len(sys.argv) > 3 else 'ami-run', doc, sys.stdout)
