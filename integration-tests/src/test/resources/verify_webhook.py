#!/usr/bin/env python3
"""Checks a Postroom webhook request the way a receiver should, with Python's standard library only.

Usage: verify_webhook.py SECRET WEBHOOK-ID WEBHOOK-TIMESTAMP WEBHOOK-SIGNATURE BODY-FILE
Prints "valid" and exits 0, or prints why not and exits 1. The verify() function is the README's example.
"""
import base64
import hashlib
import hmac
import sys
import time


def verify(secret, headers, body, tolerance=300):
    """True when body (bytes, as received) was signed with secret (whsec_...) less than tolerance s ago."""
    msg_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False  # too old or from the future: a replay
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, part.split(",", 1)[1])
               for part in headers["webhook-signature"].split() if part.startswith("v1,"))


if __name__ == "__main__":
    secret, msg_id, timestamp, signature, body_file = sys.argv[1:6]
    with open(body_file, "rb") as f:
        body = f.read()
    headers = {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": signature}
    if verify(secret, headers, body):
        print("valid")
        sys.exit(0)
    print("invalid signature or stale timestamp")
    sys.exit(1)
