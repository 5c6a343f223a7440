"""The names a certificate is made for."""

from tls_names import tls_certificate_names


def test_dns_names_and_wildcards_in_order():
    app = {"server_names": ["www.example.com", "*.example.com", "example.com"]}
    assert tls_certificate_names(app, "web1") == ["www.example.com", "*.example.com", "example.com"]


def test_catch_all_and_regex_names_are_left_out():
    app = {"server_names": ["_", "~^api\\d+\\.example\\.com$", "api.example.com"]}
    assert tls_certificate_names(app, "web1") == ["api.example.com"]


def test_no_dns_name_gives_the_host_name():
    assert tls_certificate_names({"server_names": ["_"]}, "web1") == ["web1"]
