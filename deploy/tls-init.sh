#!/bin/sh
# A self-signed certificate when none is mounted (local runs); production mounts a real one.
set -e
if [ ! -f /etc/nginx/tls/fullchain.pem ] || [ ! -f /etc/nginx/tls/privkey.pem ]; then
  apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq openssl >/dev/null 2>&1 || true
  openssl req -x509 -nodes -newkey rsa:2048 -days 365 -subj "/CN=${SERVER_NAME:-localhost}" \
    -keyout /etc/nginx/tls/privkey.pem -out /etc/nginx/tls/fullchain.pem
fi
