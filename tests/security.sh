#!/usr/bin/env bash
# Security, with the hardening test plugin:
#  - PreConnect refuses peers by uid and gid (nbdkit.PeerUID, PeerGID
#    over a Unix socket), before the NBD handshake; as root, a client
#    running as another user is refused, and the server serves on;
#  - TLS with X.509 certificates (made with openssl): the client's
#    certificate verified (--tls-verify-peer), nbdkit.PeerTLSDN and
#    PeerTLSIssuerDN naming it and its CA (nbdkit 1.40 and later);
#  - TLS with a pre-shared key (nbdkit --tls-psk): with --tls=require
#    a TLS client is served and nbdkit.IsTLS is true in Open, while a
#    client without TLS, or with the wrong key, is refused; with
#    --tls=on the plugin itself refuses clients without TLS in Open
#    (require-tls=true), by IsTLS;
#  - nbdkit.ReadPassword: the password, read from a file (+FILE) or a
#    file descriptor (-FD), is never in nbdkit's debug output (-v); the
#    plugin checks it was read right by its SHA-256.  (A password given
#    on the command line as password=VALUE is echoed by nbdkit's own
#    "config key=..., value=..." debug line: that is nbdkit's, and the
#    binding adds no other copy.)
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin hardening)
features=$(test_plugin features)
python=/usr/bin/python3
uid=$(id -u) gid=$(id -g)

# connect URI [NBDSH SETUP]: connect and read; fails if refused.
connect ()
{
    timeout -k 5 60 "$NBDSH" -c "
${2:-}
h.connect_uri('$1')
assert h.pread(512, 0) == bytes(512)
" 2>"$tmp/connect.err"
}

# --- PreConnect by uid and gid ----------------------------------------
# SPEC is WHAT:ALLOWED:EXPECT: allow only this uid or gid; is this
# client (uid $uid, gid $gid) served?
for spec in "uid:$uid:yes" "gid:$gid:yes" "uid:$((uid + 1)):no" "gid:$((gid + 1)):no"; do
    IFS=: read -r what allowed expect <<<"$spec"
    name=peer-$what-$expect mine=$([ "$what" = uid ] && echo "$uid" || echo "$gid")
    log="$tmp/$name.calls"
    start_server "$name" "$plugin" size=1M log="$log" "allow-$what=$allowed"
    pid=$server_pid
    for i in 1 2; do
        if connect "$uri"; then got=yes; else got=no; fi
        [ "$got" = "$expect" ] ||
            { cat "$tmp/connect.err" >&2; fail "allow-$what=$allowed: served: $got"; }
    done
    kill -0 "$pid" || fail "nbdkit died after refusing a peer"
    stop_server "$pid" || fail "nbdkit exited with status $?"
    expect_count 2 "^PreConnect uid=$uid gid=$gid\$" "$log"
    if [ "$expect" = no ]; then
        expect_count 2 "error: PreConnect: refusing peer $what $mine: only $allowed is allowed" \
            "$tmp/$name.log"
    fi
done
echo "security: PreConnect accepts and refuses peers by uid and gid"

# As root: a client running as another user, refused by uid and gid.
if [ "$uid" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$tmp"
    log="$tmp/other.calls"
    start_server other "$plugin" size=1M log="$log" allow-uid=0 allow-gid=0
    pid=$server_pid
    chmod 777 "$tmp/other.sock"
    if timeout -k 5 60 setpriv --reuid=65534 --regid=65533 --clear-groups \
            "$NBDSH" -u "$uri" -c 'h.pread(512, 0)' 2>"$tmp/other.err"; then
        fail "a client running as uid 65534 was not refused"
    fi
    connect "$uri" || fail "root was refused"
    stop_server "$pid" || fail "nbdkit exited with status $?"
    expect_grep '^PreConnect uid=65534 gid=65533$' "$log"
    expect_count 1 'error: PreConnect: refusing peer uid 65534: only 0 is allowed' "$tmp/other.log"
    echo "security: a client running as uid 65534, gid 65533 is refused; root is served"
elif [ "$uid" -ne 0 ]; then
    echo "security: SKIPPED a client running as another user: not root"
else
    echo "security: SKIPPED a client running as another user: no setpriv (util-linux)"
fi

# --- TLS with a pre-shared key ----------------------------------------
psk="$tmp/keys.psk"
(umask 077; printf 'alice:%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$psk")
wrong="$tmp/wrong.psk"
(umask 077; printf 'alice:%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$wrong")
with_tls="h.set_tls(nbd.TLS_REQUIRE); h.set_tls_psk_file('$psk'); h.set_tls_username('alice')"
wrong_key="h.set_tls(nbd.TLS_REQUIRE); h.set_tls_psk_file('$wrong'); h.set_tls_username('alice')"
without_tls="h.set_tls(nbd.TLS_DISABLE)"

log="$tmp/tls.calls"
start_server tls --tls=require --tls-psk="$psk" "$plugin" size=1M log="$log" connlog=true
pid=$server_pid
connect "$uri" "$with_tls" || { cat "$tmp/connect.err" >&2; fail "--tls=require: the TLS client was refused"; }
! connect "$uri" "$without_tls" || fail "--tls=require: a client without TLS was served"
! connect "$uri" "$wrong_key" || fail "--tls=require: a client with the wrong key was served"
timeout -k 5 60 "$NBDSH" -c "
$with_tls
h.connect_uri('$uri')
assert h.get_tls_negotiated()
h.pwrite(b't' * 512, 0)
assert h.pread(512, 0) == b't' * 512
" || fail "--tls=require: I/O over TLS"
stop_server "$pid" || fail "nbdkit exited with status $?"
expect_count 2 '^Open export="" readonly=false tls=true$' "$log"
expect_count 0 'tls=false' "$log"
expect_grep 'TLS' "$tmp/tls.log"
echo "security: --tls=require: IsTLS is true in Open; no TLS, or the wrong key, refused"

# --tls=on: TLS is optional for nbdkit, and the plugin requires it.
log="$tmp/tlson.calls"
start_server tlson --tls=on --tls-psk="$psk" "$plugin" size=1M log="$log" connlog=true \
    require-tls=true
pid=$server_pid
connect "$uri" "$with_tls" || { cat "$tmp/connect.err" >&2; fail "--tls=on: the TLS client was refused"; }
! connect "$uri" "$without_tls" || fail "--tls=on, require-tls: a client without TLS was served"
stop_server "$pid" || fail "nbdkit exited with status $?"
expect_count 1 '^Open export="" readonly=false tls=true$' "$log"
expect_count 1 '^Open export="" readonly=false tls=false$' "$log"
expect_count 1 'error: Open: refusing a client without TLS \(errno 1: operation not permitted\)' "$tmp/tlson.log"
echo "security: --tls=on: the plugin refuses a client without TLS by IsTLS"

# --- TLS with X.509 certificates --------------------------------------
# A CA, a server certificate and a client certificate, made here.  With
# --tls-verify-peer, nbdkit asks for the client's certificate: a client
# without one is refused, and PeerTLSDN and PeerTLSIssuerDN (nbdkit
# 1.40 and later) name the client and its CA in Open; without the flag
# they are "".  On older nbdkit they fail with ErrNotSupported.
command -v openssl >/dev/null ||
    fail "openssl is needed to make the test certificates (apt-get install openssl)"
pki=$tmp/pki
mkdir -p "$pki/server" "$pki/client" "$pki/nocert"
make_key () { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
sign () # KEY CERT SUBJECT EXTENSIONS
{
    openssl req -new -key "$1" -subj "$3" -out "$pki/req.pem" &&
    printf '%s\n' "$4" >"$pki/ext.cnf" &&
    openssl x509 -req -in "$pki/req.pem" -CA "$pki/ca-cert.pem" -CAkey "$pki/ca-key.pem" \
        -CAcreateserial -days 2 -extfile "$pki/ext.cnf" -out "$2" 2>/dev/null
}
{
    make_key "$pki/ca-key.pem" &&
    openssl req -x509 -new -key "$pki/ca-key.pem" -subj '/O=Example Org/CN=Example CA' -days 2 \
        -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
        -out "$pki/ca-cert.pem" &&
    make_key "$pki/server/server-key.pem" &&
    sign "$pki/server/server-key.pem" "$pki/server/server-cert.pem" '/O=Example Org/CN=localhost' \
        $'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature' &&
    make_key "$pki/client/client-key.pem" &&
    sign "$pki/client/client-key.pem" "$pki/client/client-cert.pem" '/O=Example Org/CN=alice' \
        $'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature'
} >"$pki/openssl.log" 2>&1 || { cat "$pki/openssl.log" >&2; fail "openssl could not make the certificates"; }
for dir in server client nocert; do cp "$pki/ca-cert.pem" "$pki/$dir/"; done
chmod 600 "$pki"/*/*-key.pem
with_cert="h.set_tls(nbd.TLS_REQUIRE); h.set_tls_certificates('$pki/client')"
no_cert="h.set_tls(nbd.TLS_REQUIRE); h.set_tls_certificates('$pki/nocert')"
dn_calls=(call=open:IsTLS call=open:PeerTLSDN call=open:PeerTLSIssuerDN)
dn_supported () { nbdkit_at_least 1.40; }

log="$tmp/x509.calls"
start_server x509 --tls=require --tls-certificates="$pki/server" --tls-verify-peer "$features" \
    log="$log" "${dn_calls[@]}"
pid=$server_pid
connect "$uri" "$with_cert" ||
    { cat "$tmp/connect.err" >&2; fail "--tls-verify-peer: the client with a certificate was refused"; }
! connect "$uri" "$no_cert" || fail "--tls-verify-peer: a client without a certificate was served"
! connect "$uri" "$without_tls" || fail "--tls-certificates: a client without TLS was served"
kill -0 "$pid" || fail "nbdkit died"
stop_server "$pid" || fail "nbdkit exited with status $?"
expect_count 1 '^call IsTLS\(""\) = true$' "$log"
if dn_supported; then
    expect_count 1 '^call PeerTLSDN\(""\) = CN=alice,O=Example Org$' "$log"
    expect_count 1 '^call PeerTLSIssuerDN\(""\) = CN=Example CA,O=Example Org$' "$log"
else
    expect_count 2 '^call PeerTLS(Issuer)?DN\(""\) error: .* notsupported$' "$log"
fi

# Without --tls-verify-peer: no client certificate, no DN.
log="$tmp/x509-noverify.calls"
start_server x509-noverify --tls=require --tls-certificates="$pki/server" "$features" \
    log="$log" "${dn_calls[@]}"
connect "$uri" "$with_cert" || { cat "$tmp/connect.err" >&2; fail "--tls-certificates: the client was refused"; }
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 1 '^call IsTLS\(""\) = true$' "$log"
if dn_supported; then
    expect_count 1 '^call PeerTLSDN\(""\) = $' "$log"
    expect_count 1 '^call PeerTLSIssuerDN\(""\) = $' "$log"
    echo "security: X.509: PeerTLSDN and PeerTLSIssuerDN name the client's certificate and its CA"
else
    echo "security: X.509: the client certificate is verified (PeerTLSDN needs nbdkit 1.40)"
fi

# --- ReadPassword -----------------------------------------------------
file_secret="file-secret-$RANDOM$RANDOM"
fd_secret="fd-secret-$RANDOM$RANDOM"
direct_secret="direct-secret-$RANDOM$RANDOM"
printf '%s\n' "$file_secret" >"$tmp/password"
printf '%s\n' "$fd_secret" >"$tmp/password-fd"
sha () { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

log="$tmp/pw.calls"
start_server pw "$plugin" log="$log" size=1M password=+"$tmp/password" password=-3 \
    password="$direct_secret" 3<"$tmp/password-fd"
connect "$uri" || fail "no service after ReadPassword"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep "^Config password: ${#file_secret} bytes, sha256 $(sha "$file_secret")\$" "$log"
expect_grep "^Config password: ${#fd_secret} bytes, sha256 $(sha "$fd_secret")\$" "$log"
expect_grep "^Config password: ${#direct_secret} bytes, sha256 $(sha "$direct_secret")\$" "$log"
expect_no_grep "$file_secret|$fd_secret" "$tmp/pw.log"
expect_no_grep "$file_secret|$fd_secret|$direct_secret" "$log"
# The one copy of the direct password is nbdkit's own echo.
expect_count 1 "$direct_secret" "$tmp/pw.log"
expect_grep "debug: hardening: config key=password, value=$direct_secret\$" "$tmp/pw.log"

# Under --run (nbdkit forks, the binding re-executes it): +FILE is read
# again by the new server; -FD, which can only be read once, is refused
# before the fork with a clear error.
export TMPDIR=$tmp/run
mkdir "$TMPDIR"
timeout -k 5 60 "$NBDKIT" -v -U - "$plugin" log="$tmp/run.calls" size=1M \
    password=+"$tmp/password" --run "$NBDINFO --size \"\$uri\"" \
    >"$tmp/run.out" 2>&1 || { cat "$tmp/run.out" >&2; fail "--run with password=+FILE"; }
expect_count 2 "^Config password: ${#file_secret} bytes, sha256 $(sha "$file_secret")\$" "$tmp/run.calls"
expect_no_grep "$file_secret" "$tmp/run.out"
status=0
timeout -k 5 60 "$NBDKIT" -U - "$plugin" size=1M password=-3 --run "touch $tmp/ran" \
    3<"$tmp/password-fd" >"$tmp/runfd.out" 2>&1 || status=$?
[ "$status" -ne 0 ] && [ "$status" -lt 124 ] || fail "--run with password=-3: status $status"
[ ! -e "$tmp/ran" ] || fail "--run with password=-3 ran the command"
expect_grep 'ReadPassword: "-3" reads the terminal or a file descriptor, which works once, and nbdkit forks' \
    "$tmp/runfd.out"
echo "security: ReadPassword: +FILE, -FD and a value read right; never in nbdkit -v output"
echo "security: ok"
