#!/usr/bin/python3
# The AWS CLI's own shorthand parser as a test oracle (Debian package awscli): prints
# COUNT random inputs (seeded) and what ShorthandParser makes of each, as
# INPUT NUL RESULT NUL, RESULT being compact JSON or ERR.  Usage: shorthand-oracle.py SEED COUNT
import json
import random
import sys

from awscli.shorthand import ShorthandParser, _NamedRegex

# aws-cli v2's current quoted-value regexes; Debian's 2.9 also takes \\ as one pair.
ShorthandParser._SINGLE_QUOTED = _NamedRegex('singled quoted', r'\'(?:\\\'|[^\'])*\'')
ShorthandParser._DOUBLE_QUOTED = _NamedRegex('double quoted', r'"(?:\\"|[^"])*"')

random.seed(int(sys.argv[1]))
alphabet = list("ab=,[]{}'\"\\ @\t:.-") + ['Key', 'Value', 'x=y', '\u00e9', '\u754c', '\U0001F600', '\n']
parser = ShorthandParser()
out = sys.stdout.buffer
for _ in range(int(sys.argv[2])):
    case = ''.join(random.choice(alphabet) for _ in range(random.randint(1, 14)))
    try:
        result = json.dumps(parser.parse(case), separators=(',', ':'), ensure_ascii=False)
    except Exception:
        result = 'ERR'
    out.write(case.encode() + b'\0' + result.encode() + b'\0')
