"""ARC with dkimpy (Debian's python3-dkim, run with /usr/bin/python3), the independent implementation the ARC tests
compare Postroom with. Keys come from a file of lines "NAME<TAB>TXT RECORD" instead of DNS.

  dkimpy_arc.py verify MESSAGE KEYS            prints "cv=<pass|fail|none>" then the reason
  dkimpy_arc.py sign MESSAGE SELECTOR DOMAIN KEY.pem SRV_ID TIMESTAMP
                                               prints the new ARC set (ARC-Seal, ARC-Message-Signature, ARC-A-R)
"""
import sys

import dkim


def keys(path):
    records = {}
    with open(path, 'rb') as f:
        for line in f.read().splitlines():
            if line.strip():
                name, record = line.split(b'\t', 1)
                records[name.lower().rstrip(b'.')] = record
    return records


def main(argv):
    with open(argv[2], 'rb') as f:
        message = f.read()
    if argv[1] == 'verify':
        records = keys(argv[3])

        def lookup(name, timeout=5):
            return records.get(name.lower().rstrip(b'.'))

        cv, results, reason = dkim.arc_verify(message, dnsfunc=lookup)
        sys.stdout.write('cv=%s\n%s\n' % ((cv or b'ended').decode('ascii'), reason))
        return 0
    if argv[1] == 'sign':
        with open(argv[5], 'rb') as f:
            private = f.read()
        headers = dkim.arc_sign(message, argv[3].encode(), argv[4].encode(), private, argv[6].encode(),
                                timestamp=argv[7])
        if not headers:
            sys.stderr.write('dkimpy added no ARC set\n')
            return 1
        sys.stdout.buffer.write(b''.join(headers))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
