"""Verifies a message's DKIM signatures with dkimpy (Debian's python3-dkim), an implementation
independent of MimeKit's. The DNS is given on the command line instead of asked of a resolver:

    dkim_verify.py MESSAGE NAME=TXT [NAME=TXT ...]

NAME is selector._domainkey.domain, TXT the record's value. Prints one JSON object per
DKIM-Signature header, top first: {"index", "d", "s", "verified", "error"}.
"""
import json
import logging
import sys

import dkim


class Collect(logging.Handler):
    def __init__(self, into):
        super().__init__(logging.INFO)
        self.into = into

    def emit(self, record):
        self.into.append(record.getMessage())


def main():
    message = open(sys.argv[1], "rb").read()
    records = {}
    for arg in sys.argv[2:]:
        name, _, value = arg.partition("=")
        records[name.rstrip(".").lower() + "."] = value.encode("ascii")

    def dns(name, timeout=5):
        key = name.decode("ascii") if isinstance(name, bytes) else name
        return records.get(key.lower())

    checker = dkim.DKIM(message)
    headers = [v for (k, v) in checker.headers if k.lower() == b"dkim-signature"]
    for index, value in enumerate(headers):
        tags = dkim.util.parse_tag_value(b"".join(value.split()))
        result = {"index": index, "d": tags.get(b"d", b"").decode(), "s": tags.get(b"s", b"").decode()}
        # dkimpy reports why a signature fails through its logger, not as an exception.
        reasons = []
        logger = logging.getLogger("dkim_verify")
        logger.handlers = [Collect(reasons)]
        logger.propagate = False
        try:
            result["verified"] = bool(dkim.DKIM(message, logger=logger).verify(idx=index, dnsfunc=dns))
        except dkim.DKIMException as error:
            result["verified"] = False
            reasons.append(str(error))
        result["error"] = "; ".join(reasons) or None
        print(json.dumps(result))


if __name__ == "__main__":
    main()
