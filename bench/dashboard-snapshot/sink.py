# Loopback SMTP servers standing in for remote MX hosts during the dashboard run (no internet here).
# Usage: sink.py CERT KEY tls=PORT plain=PORT throttle=PORT
#   tls:      offers STARTTLS and accepts everything
#   plain:    no STARTTLS (the TLS share panel's "none"), accepts everything
#   throttle: offers STARTTLS; answers 421 4.7.28 to every third message (a throttling provider), accepts the rest
import socket, ssl, sys, threading

cert, key = sys.argv[1], sys.argv[2]
ports = {k: int(v) for k, v in (a.split('=') for a in sys.argv[3:])}
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
counts = {kind: 0 for kind in ports}
lock = threading.Lock()


def session(conn, kind):
    reader = conn.makefile('rb')
    def say(line):
        conn.sendall(line.encode() + b'\r\n')
    say('220 sink.test ESMTP')
    in_data = False
    while True:
        line = reader.readline(10000)
        if not line:
            return
        if in_data:
            if line in (b'.\r\n', b'.\n'):
                in_data = False
                with lock:
                    counts[kind] += 1
                    n = counts[kind]
                say('421 4.7.28 slow down' if kind == 'throttle' and n % 3 == 0 else '250 2.0.0 ok')
                if kind == 'throttle' and n % 3 == 0:
                    return
            continue
        verb = line[:4].upper()
        if verb in (b'EHLO', b'HELO'):
            tls_offered = kind != 'plain' and not isinstance(conn, ssl.SSLSocket)
            say('250-sink.test\r\n250-PIPELINING\r\n' + ('250-STARTTLS\r\n' if tls_offered else '') + '250 8BITMIME')
        elif verb == b'STAR' and kind != 'plain':
            say('220 2.0.0 go ahead')
            conn = context.wrap_socket(conn, server_side=True)
            reader = conn.makefile('rb')
        elif verb == b'DATA':
            in_data = True
            say('354 go on')
        elif verb == b'QUIT':
            say('221 2.0.0 bye')
            return
        else:
            say('250 2.0.0 ok')


def serve(kind, port):
    server = socket.create_server(('127.0.0.1', port))
    while True:
        conn, _ = server.accept()
        def run(c=conn):
            try:
                session(c, kind)
            except Exception:
                pass
            finally:
                c.close()
        threading.Thread(target=run, daemon=True).start()


for kind, port in ports.items():
    threading.Thread(target=serve, args=(kind, port), daemon=True).start()
print('sinks up', ports, flush=True)
threading.Event().wait()
