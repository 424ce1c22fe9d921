#!/usr/bin/env python3
"""Prints, one per line, every secret the test suites may have handed to the FDW, so that a
check can grep the PostgreSQL server log for them (issue 4: no secret in any log).

    list-secrets.py SEED.json [--tls-dir DIR] [--file EXTRA.txt ...] [EMULATOR_URL ...]

* from the seed: user passwords, API tokens, seed OAuth access tokens, OAuth client secrets,
  the domain Basic-layer password;
* the harness's fixed secrets: the proxy password and the client-key / PKCS#12 passwords of
  test/tls/make-certs.sh (and, with --tls-dir, nothing else: key files are not greppable text);
* from each running emulator (GET /_emulator/secrets): every OAuth access and refresh token it
  ever issued and every Basic-layer password set through the control API. https URLs are
  reached with DIR/ca.pem and the client certificate of DIR (needed by the mTLS emulator);
* lines of extra files (blank lines and lines starting with # ignored).
Secrets shorter than MIN_LENGTH characters are left out (they would match ordinary log text);
they are counted on stderr. Standard library only.
"""

import argparse
import json
import os
import ssl
import sys
import urllib.request

MIN_LENGTH = 6
HARNESS = ["proxy-pass-123", "client-key-pass", "client-p12-pass"]


def from_seed(doc):
    out = [str(u.get("password", "")) for u in doc.get("users", [])]
    for app in doc.get("apps", []):
        out.extend(str(t["token"]) for t in app.get("api_tokens", []))
    out.extend(str(t["token"]) for t in doc.get("oauth_tokens", []))
    out.extend(str(c["client_secret"]) for c in doc.get("oauth_clients", []))
    if doc.get("basic_auth"):
        out.append(str(doc["basic_auth"]["password"]))
    return out


def from_emulator(url, tls_dir):
    ctx = None
    if url.startswith("https:"):
        if not tls_dir:
            raise SystemExit("list-secrets.py: --tls-dir is needed for %s" % url)
        ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.pem"))
        ctx.load_cert_chain(os.path.join(tls_dir, "client.pem"), os.path.join(tls_dir, "client.key"))
    with urllib.request.urlopen(url.rstrip("/") + "/_emulator/secrets", timeout=30, context=ctx) as resp:
        doc = json.load(resp)
    return list(doc.get("oauth_tokens", [])) + list(doc.get("basic_auth_passwords", []))


def main(argv):
    parser = argparse.ArgumentParser(prog="list-secrets.py")
    parser.add_argument("seed")
    parser.add_argument("urls", nargs="*")
    parser.add_argument("--tls-dir")
    parser.add_argument("--file", action="append", default=[])
    args = parser.parse_intermixed_args(argv)
    with open(args.seed, encoding="utf-8") as f:
        secrets = from_seed(json.load(f)) + HARNESS
    for url in args.urls:
        secrets.extend(from_emulator(url, args.tls_dir))
    for path in args.file:
        with open(path, encoding="utf-8") as f:
            secrets.extend(line.rstrip("\n") for line in f if line.strip() and not line.startswith("#"))
    keep = sorted({s for s in secrets if len(s) >= MIN_LENGTH and "\n" not in s})
    short = len({s for s in secrets if 0 < len(s) < MIN_LENGTH})
    if short:
        print("list-secrets.py: %d secret(s) shorter than %d characters not listed" % (short, MIN_LENGTH),
              file=sys.stderr)
    sys.stdout.write("".join(s + "\n" for s in keep))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
