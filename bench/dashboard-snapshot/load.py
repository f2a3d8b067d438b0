# Drives a packaged Postroom for a few minutes with real SMTP/IMAP/POP3/HTTP clients, for the dashboard snapshot.
import imaplib, poplib, socket, random, smtplib, ssl, subprocess, sys, time, urllib.request, os
P = {k: int(v) for k, v in (a.split('=') for a in sys.argv[1:])}
HOME = os.environ['POSTROOM_HOME']
DOM = 'example.test'
ctx = ssl._create_unverified_context()
USERS = ['alice', 'bob', 'carol', 'dave']
def msg(frm, to, subj):
    return f'From: {frm}\r\nTo: {to}\r\nSubject: {subj}\r\nMessage-ID: <{random.random()}@client.test>\r\n\r\nhello {subj}\r\n'
def inbound(n):
    s = smtplib.SMTP('127.0.0.1', P['smtp']); s.ehlo('mx.remote.test')
    for i in range(n):
        to = f'{random.choice(USERS)}@{DOM}'
        s.sendmail('news@remote.test', [to], msg('news@remote.test', to, f'in {i}'))
    s.quit()
def refused():
    s = smtplib.SMTP('127.0.0.1', P['smtp']); s.ehlo('mx.remote.test')
    try: s.sendmail('x@remote.test', [f'nobody{random.randint(1,99)}@{DOM}'], 'Subject: x\r\n\r\nx\r\n')
    except smtplib.SMTPException: pass
    try: s.sendmail('x@remote.test', ['someone@elsewhere.test'], 'Subject: relay\r\n\r\nx\r\n')
    except smtplib.SMTPException: pass
    s.quit()
def submit(n, remote):
    s = smtplib.SMTP('127.0.0.1', P['submission']); s.ehlo('laptop.test'); s.starttls(context=ctx); s.ehlo('laptop.test')
    s.login(f'alice@{DOM}', 'Secret-42')
    for i in range(n):
        to = random.choice(remote) if random.random() < 0.3 else f'bob@{DOM}'
        s.sendmail(f'alice@{DOM}', [to], msg(f'alice@{DOM}', to, f'sub {i}'))
    try: s.sendmail(f'bob@{DOM}', [f'carol@{DOM}'], msg(f'bob@{DOM}', f'carol@{DOM}', 'not mine'))
    except smtplib.SMTPException: pass
    s.quit()
def smtps(n):
    s = smtplib.SMTP_SSL('127.0.0.1', P['smtps'], context=ctx); s.login(f'carol@{DOM}', 'Secret-42')
    for i in range(n):
        s.sendmail(f'carol@{DOM}', [f'dave@{DOM}'], msg(f'carol@{DOM}', f'dave@{DOM}', f'smtps {i}'))
    s.quit()
def bad_logins():
    # Wrong passwords from other loopback addresses (an attacker's), so that 127.0.0.1 is never banned.
    attacker = '127.0.0.%d' % random.randint(2, 9)
    plain = socket.create_connection
    socket.create_connection = lambda address, timeout=30, source_address=None: plain(address, timeout, (attacker, 0))
    try:
        for attempt in range(2):
            try:
                i = imaplib.IMAP4_SSL('127.0.0.1', P['imaps'], ssl_context=ctx); i.login(f'bob@{DOM}', 'guess')
            except Exception: pass
        try:
            p = poplib.POP3_SSL('127.0.0.1', P['pop3s'], context=ctx); p.user(f'dave@{DOM}'); p.pass_('guess')
        except Exception: pass
        try:
            s = smtplib.SMTP_SSL('127.0.0.1', P['smtps'], context=ctx); s.login(f'eve@{DOM}', 'guess')
        except Exception: pass
    finally:
        socket.create_connection = plain
def read_mail():
    i = imaplib.IMAP4_SSL('127.0.0.1', P['imaps'], ssl_context=ctx); i.login(f'bob@{DOM}', 'Secret-42'); i.select('INBOX'); i.close(); i.logout()
def post(tick):
    s = smtplib.SMTP('127.0.0.1', P['submission']); s.ehlo('laptop.test'); s.starttls(context=ctx); s.ehlo('laptop.test')
    s.login(f'alice@{DOM}', 'Secret-42'); s.sendmail(f'alice@{DOM}', [f'news@{DOM}'], msg(f'alice@{DOM}', f'news@{DOM}', f'post {tick}')); s.quit()
def postroom(*args):
    return subprocess.run([HOME + '/bin/postroom', *args], capture_output=True, text=True, env=os.environ).stdout
def unsubscribe(member):
    url = next(word for word in postroom('unsubscribe', 'link', f'news@{DOM}', member).split() if word.startswith('https://'))
    url = url.replace(f'https://mail.{DOM}', f'http://127.0.0.1:{P["public"]}')
    urllib.request.urlopen(urllib.request.Request(url, data=b'List-Unsubscribe=One-Click', method='POST')).read()

def safe(action, *args):
    try:
        action(*args)
    except Exception as e:
        print('error in', action.__name__, repr(e), flush=True)

remote = [f'user{i}@dest{i % 7}.example' for i in range(40)]
members = [f'member{i}@{DOM}' for i in range(30)]
outside = [f'reader{i}@dest{i % 5}.example' for i in range(20)]   # list members at the loopback "remote" MX hosts
for u in ([] if os.environ.get('SKIP_SETUP') else USERS):
    subprocess.run([HOME + '/bin/postroom', 'user', 'add', f'{u}@{DOM}', '--password-stdin'], input='Secret-42\n', text=True, env=os.environ)
for m in ([] if os.environ.get('SKIP_SETUP') else members):
    subprocess.run([HOME + '/bin/postroom', 'user', 'add', m, '--password-stdin'], input='Secret-42\n', text=True, env=os.environ)
print(postroom('list', 'create', f'news@{DOM}', '--owner', f'alice@{DOM}', '--posting', 'announce'))
print(postroom('member', 'add', f'news@{DOM}', *members, *outside))
end = time.time() + float(os.environ.get('DURATION', '420'))
tick = 0
while time.time() < end:
    tick += 1
    phase = (tick // 10) % 3           # busier and quieter stretches
    safe(inbound, 2 + 3 * phase)
    safe(submit, 1 + phase, remote)
    if tick % 2 == 0: safe(smtps, 2)
    if tick % 3 == 0: safe(refused)
    if tick % 3 == 1: safe(bad_logins)
    if tick % 5 == 0: safe(read_mail)
    if tick % 12 == 6: safe(post, tick)
    if tick % 9 == 0 and members:
        safe(unsubscribe, members.pop())
    time.sleep(2)
print('load done')
