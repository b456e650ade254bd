#!/bin/sh
# The server's self-signed certificate for capture.sh (P-256 key, so the TLS 1.2 suites are
# ECDHE_ECDSA ones): CN localhost, SAN localhost and 127.0.0.1, valid for 100 years.
set -e
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout key.pem -out cert.pem -days 36500 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1
