#!/usr/bin/env bash
# Builds Postroom and starts it in the foreground on the embedded Derby store.
#   ./run.sh                  build, install into ./run/postroom-<version>, start
#   ./run.sh --no-build       start what was built last
# The installation under ./run keeps its conf/ and var/ between runs (your users and mail stay).
# As root it listens on the standard ports (25, 587, 465, 2525, 143, 993, 110, 995). As any other user it
# adds 10000 to each (10025, 10587, ...) because ports below 1024 need root or CAP_NET_BIND_SERVICE.
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" != "--no-build" ]; then
    mvn -B -q package -DskipTests
fi
version=$(sed -n 's#^    <version>\(.*\)</version>#\1#p' pom.xml | head -n 1)
tarball="distribution/target/postroom-${version}.tar.gz"
[ -f "$tarball" ] || { echo "run.sh: ERROR: $tarball is missing: run ./run.sh without --no-build" >&2; exit 1; }
install="run/postroom-${version}"
mkdir -p run
staging=$(mktemp -d run/.staging.XXXXXX)
tar -xzf "$tarball" -C "$staging"
mkdir -p "$install"
# Programs are replaced on every build; conf/ only the first time (then it is yours); var/ never.
rm -rf "$install/lib" "$install/bin" "$install/systemd"
mv "$staging/postroom-${version}/lib" "$staging/postroom-${version}/bin" "$staging/postroom-${version}/systemd" "$install/"
[ -d "$install/conf" ] || mv "$staging/postroom-${version}/conf" "$install/"
cp "$staging/postroom-${version}/README.md" "$install/"
rm -rf "$staging"
if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: not root: listening on unprivileged ports (smtp 10025, submission 10587/12525, smtps 10465," \
         "imap 10143, imaps 10993, pop3 10110, pop3s 10995); the admin API stays on 127.0.0.1:8000" >&2
    JAVA_OPTS="${JAVA_OPTS:-} -Dpostroom.port.smtp=10025 -Dpostroom.port.submission=10587 -Dpostroom.port.smtps=10465"
    JAVA_OPTS="$JAVA_OPTS -Dpostroom.port.submission.alt=12525 -Dpostroom.port.imap=10143 -Dpostroom.port.imaps=10993"
    JAVA_OPTS="$JAVA_OPTS -Dpostroom.port.pop3=10110 -Dpostroom.port.pop3s=10995"
    export JAVA_OPTS
fi
POSTROOM_HOME="$PWD/$install" exec "$install/bin/postroom-server"
