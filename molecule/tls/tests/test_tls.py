"""HTTPS with a certificate from ACME (pebble), through the web host to the app host."""

import json
import re
import time

from conftest import APP, APP_HOST, PEBBLE_ROOT, WEB

from playbooks import run

HTTPS = f"curl -sS --max-time 10 --cacert {PEBBLE_ROOT}"
CERTIFICATE = f"/etc/flask-toolkit/tls/{APP}/fullchain.pem"
RENEWAL = f"/etc/letsencrypt/renewal/{APP}.conf"
# Mozilla's "intermediate" TLS 1.2 ciphers the certificate's key (ECDSA, certbot's default)
# can use, and TLS 1.3's suites; then ciphers outside that list, which must be refused.
ECDSA_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
)
TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
OUTSIDE_CIPHERS = ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "AES128-GCM-SHA256")


def headers(client, url, *options):
    result = client.run(f"{HTTPS} -o /dev/null -D - {' '.join(options)} {url}")
    assert result.rc == 0, result.stderr
    status, *lines = result.stdout.strip().splitlines()
    fields = dict(line.split(": ", 1) for line in lines if ": " in line)
    return int(status.split()[1]), {key.lower(): value.strip() for key, value in fields.items()}


def handshake(client, *options):
    """openssl s_client to the web host: (connected, protocol, cipher, output)."""
    result = client.run(
        f"openssl s_client -connect {WEB}:443 -servername {WEB} -CAfile {PEBBLE_ROOT} "
        f"{' '.join(options)} < /dev/null"
    )
    found = re.search(
        r"^\s*Protocol\s*:\s*(\S+)\s*$.*?^\s*Cipher\s*:\s*(\S+)", result.stdout, re.M | re.S
    )
    new = re.search(r"^New, (\S+), Cipher is (\S+)", result.stdout, re.M)
    connected = result.rc == 0 and new is not None and new.group(2) != "(NONE)"
    protocol, cipher = (new.group(1), new.group(2)) if connected else (None, None)
    if found and connected:
        protocol, cipher = found.group(1), found.group(2)
    return connected, protocol, cipher, result.stdout + result.stderr


def test_plain_http_answers_acme_and_redirects_the_rest(client):
    result = client.run(
        f"curl -sS -o /dev/null -w '%{{http_code}} %{{redirect_url}}' 'http://{WEB}/healthz?x=1'"
    )
    assert result.stdout == f"301 https://{WEB}/healthz?x=1", result.stdout + result.stderr


def test_https_serves_the_app_with_pebbles_certificate(client, hosts):
    answer = json.loads(client.check_output(f"{HTTPS} https://{WEB}/healthz"))
    assert answer["status"] == "ok" and answer["host"] == APP_HOST, answer
    issuer = hosts["web"].check_output(f"openssl x509 -in {CERTIFICATE} -noout -issuer")
    assert "Pebble" in issuer, issuer


def test_hsts_and_the_security_headers_are_on_every_answer(client, hosts):
    expected = {
        "strict-transport-security": "max-age=63072000",
        "x-content-type-options": "nosniff",
        "x-frame-options": "SAMEORIGIN",
        "referrer-policy": "strict-origin-when-cross-origin",
    }
    client.check_output("head -c 11M /dev/zero > /root/11m")  # over client_max_body_size (10m)
    answers = {
        "the app": headers(client, f"https://{WEB}/healthz"),
        "the app's 404": headers(client, f"https://{WEB}/no/such/page"),
        "nginx's 413": headers(
            client,
            f"https://{WEB}/healthz",
            "-X POST -H 'Content-Type: application/octet-stream' --data-binary @/root/11m",
        ),
    }
    switched = run("playbooks/maintenance.yml", extra_vars={"maintenance_enabled": True})
    assert switched.returncode == 0, switched
    try:
        answers["the maintenance page"] = headers(client, f"https://{WEB}/")
    finally:
        switched = run("playbooks/maintenance.yml", extra_vars={"maintenance_enabled": False})
        assert switched.returncode == 0, switched
    for name, want in (
        ("the app", 200),
        ("the app's 404", 404),
        ("nginx's 413", 413),
        ("the maintenance page", 503),
    ):
        status, fields = answers[name]
        assert status == want, (name, status)
        assert {key: fields.get(key) for key in expected} == expected, (name, fields)


def test_tls_1_0_and_1_1_are_refused(client):
    for option in ("-tls1", "-tls1_1"):
        # The client lowers its own security level, so that only the server can refuse.
        connected, _, _, output = handshake(client, option, "-cipher DEFAULT@SECLEVEL=0")
        assert not connected, output
        assert "alert protocol version" in output, output
        print(f"{option}: refused (protocol version alert)")


def test_tls_1_2_and_1_3_negotiate_the_intermediate_ciphers(client):
    for cipher in ECDSA_CIPHERS:
        connected, protocol, negotiated, output = handshake(client, "-tls1_2", f"-cipher {cipher}")
        assert connected and (protocol, negotiated) == ("TLSv1.2", cipher), output
        print(f"TLSv1.2: {negotiated}")
    for suite in TLS13_SUITES:
        connected, protocol, negotiated, output = handshake(
            client, "-tls1_3", f"-ciphersuites {suite}"
        )
        assert connected and (protocol, negotiated) == ("TLSv1.3", suite), output
        print(f"TLSv1.3: {negotiated}")
    for cipher in OUTSIDE_CIPHERS:
        connected, _, _, output = handshake(client, "-tls1_2", f"-cipher {cipher}")
        assert not connected, output
    connected, protocol, negotiated, output = handshake(client)
    print(f"a default client: {protocol} {negotiated}")
    assert connected and protocol == "TLSv1.3", output


def serial(host, command):
    return host.check_output(f"{command} | openssl x509 -noout -serial").strip()


def test_a_renewal_close_to_expiry_replaces_the_certificate_without_a_failed_request(
    hosts, client, load
):
    web = hosts["web"]
    served = f"openssl s_client -connect {WEB}:443 -servername {WEB} < /dev/null 2>/dev/null"
    before = serial(web, f"cat {CERTIFICATE}")
    assert serial(client, served) == before
    # The certificate comes close to expiry: its remaining days fall inside the renewal
    # window (tls_acme_renew_days in the inventory; here the renewal file itself).
    not_after = web.check_output(f"openssl x509 -in {CERTIFICATE} -noout -enddate").split("=", 1)[1]
    days_left = int(
        web.check_output(f"echo $(( ($(date -d '{not_after}' +%s) - $(date +%s)) / 86400 ))")
    )
    window = f"renew_before_expiry = {days_left + 1} days"
    web.check_output(f"sed -i 's/^renew_before_expiry = .*/{window}/' {RENEWAL}")
    with load(clients=8) as stats:
        time.sleep(3)
        started = time.monotonic()
        web.check_output("systemctl start certbot.service")  # what certbot.timer starts
        renewal = time.monotonic() - started
        time.sleep(3)
    after = serial(web, f"cat {CERTIFICATE}")
    print(f"renewal: {renewal:.1f} s, serial {before} -> {after}; load: {stats}")
    assert after != before
    assert serial(client, served) == after
    assert stats["sent"] == stats["ok"] > 50, stats


def test_the_firewall_keeps_a_stranger_off_the_app_hosts_ports(hosts, client):
    backend = (
        f"curl -sS -o /dev/null -w '%{{http_code}}' --max-time 3 http://{APP_HOST}:8000/healthz"
    )
    assert hosts["web"].check_output(backend) == "200"  # a member gets in
    refused = client.run(backend)
    # refused with a reset, as every closed port is
    assert refused.rc == 7, refused.stderr
    redis = client.run(f"timeout 3 bash -c 'echo > /dev/tcp/{APP_HOST}/6379'")
    assert redis.rc != 0
