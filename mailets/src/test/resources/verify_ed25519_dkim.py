#!/usr/bin/env python3
"""Independent check of an ed25519-sha256 DKIM signature (RFC 8463, relaxed/relaxed), for Postroom's tests.

Usage: verify_ed25519_dkim.py MESSAGE_FILE PUBLIC_KEY_BASE64
Prints "pass" and exits 0, or prints "fail: why" and exits 1. Written apart from the Java signer, from the RFCs:
RFC 6376 section 3.4.2 (relaxed header), 3.4.4 (relaxed body), 3.7 (hash computation), RFC 8463 section 3.
"""
import base64
import hashlib
import re
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def split(message):
    index = message.find(b"\r\n\r\n")
    if index < 0:
        return message, b""
    return message[:index + 2], message[index + 4:]


def fields(head):
    result = []
    for line in head.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and result:
            result[-1] += b"\r\n" + line
        else:
            result.append(line)
    return [f.decode("latin-1") for f in result]


def relaxed_header(field):
    name, _, value = field.partition(":")
    value = re.sub(r"\r\n", "", value)
    value = re.sub(r"[ \t]+", " ", value).strip(" ")
    return name.strip(" \t").lower() + ":" + value


def relaxed_body(body):
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    lines = [re.sub(rb"[ \t]+$", b"", re.sub(rb"[ \t]+", b" ", line)) for line in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines)


def tags(value):
    result = {}
    for part in value.split(";"):
        if "=" in part:
            key, _, val = part.partition("=")
            result.setdefault(key.strip(), re.sub(r"\s+", "", val))
    return result


def main():
    message = open(sys.argv[1], "rb").read()
    public_key = base64.b64decode(sys.argv[2])
    head, body = split(message)
    all_fields = fields(head)
    signatures = [f for f in all_fields if f.lower().startswith("dkim-signature:")
                  and tags(f.partition(":")[2]).get("a") == "ed25519-sha256"]
    if not signatures:
        print("fail: no ed25519-sha256 signature")
        return 1
    signature_field = signatures[0]
    t = tags(signature_field.partition(":")[2])
    if t.get("c") != "relaxed/relaxed":
        print("fail: canonicalization " + str(t.get("c")))
        return 1
    body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest()).decode()
    if body_hash != t["bh"]:
        print("fail: body hash " + body_hash + " != " + t["bh"])
        return 1
    remaining = list(all_fields)
    data = ""
    for name in t["h"].split(":"):
        for i in range(len(remaining) - 1, -1, -1):
            if remaining[i] is not None and remaining[i].partition(":")[0].strip().lower() == name.strip().lower():
                data += relaxed_header(remaining[i]) + "\r\n"
                remaining[i] = None
                break
    unsigned = re.sub(r"(;\s*b=)[^;]*", r"\1", signature_field, count=1)
    if not re.search(r"(^|;)\s*b=", unsigned.partition(":")[2]):
        print("fail: no b= tag")
        return 1
    data += relaxed_header(unsigned)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            base64.b64decode(t["b"]), hashlib.sha256(data.encode("latin-1")).digest())
    except Exception as error:  # InvalidSignature carries no message
        print("fail: signature does not verify " + type(error).__name__)
        return 1
    print("pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
