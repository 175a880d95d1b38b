#!/usr/bin/env python3
"""Renders deploy/nginx/loopback.conf.template (scripts/cluster.sh, bench/cluster/run.sh; the cluster tests do the
same in tests/Tollgate.Tests.Common/NginxServer.cs).

usage: render_nginx.py TEMPLATE OUT STATE_DIR GATEWAY_PORT MANAGEMENT_PORT STUDIO_PORT GATEWAYS MANAGEMENT STUDIO
  GATEWAYS, MANAGEMENT, STUDIO: the nodes' loopback ports, comma-separated (empty: an upstream whose server is down)
"""
import os
import sys


def servers(ports):
    ports = [p for p in ports.split(",") if p]
    if not ports:
        return "        server 127.0.0.1:1 down;"
    return "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in ports)


def main():
    template, out, state, gateway, management, studio, gateways, managers, studios = sys.argv[1:10]
    text = open(template).read()
    values = {
        # Under root nginx's workers would run as nobody and could not write the temp folders in STATE_DIR.
        "@USER@": "user root;" if os.geteuid() == 0 else "",
        "@WORKERS@": os.environ.get("NGINX_WORKERS", "auto"),
        "@STATE@": state,
        "@GATEWAY_SERVERS@": servers(gateways),
        "@MANAGEMENT_SERVERS@": servers(managers),
        "@STUDIO_SERVERS@": servers(studios),
        "@GATEWAY_PORT@": gateway,
        "@MANAGEMENT_PORT@": management,
        "@STUDIO_PORT@": studio,
    }
    for name, value in values.items():
        text = text.replace(name, value)
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
