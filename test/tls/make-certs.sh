#!/usr/bin/env bash
# make-certs.sh DIR: generates the test PKI with openssl (at test time; never committed).
#
#   ca.pem, ca.key                      test CA
#   server.pem, server.key              server cert for localhost / 127.0.0.1 / ::1, signed by the CA
#   client.pem, client.key              client cert (CN kfdw-client), signed by the CA
#   client-enc.key                      client.key encrypted with password "client-key-pass"
#   client.p12                          PKCS#12 of client.pem + client.key, password "client-p12-pass"
#   other-ca.pem, other-ca.key          an unrelated CA (for "bad CA" tests)
#   untrusted-client.pem/.key           client cert signed by the unrelated CA
#   wrong-host.pem/.key                 server cert signed by the CA for wrong-host.invalid only
#                                       (a hostname-verification test: valid chain, wrong name)
#
# Idempotent (does nothing when every file exists), quiet, a few seconds. Every file is made
# world-readable (0644, directory 0755): the PostgreSQL backend (OS user postgres) reads them.
# These are throwaway test keys only.
set -euo pipefail
DIR=${1:?usage: make-certs.sh DIR}
mkdir -p "$DIR"
FILES=(ca.pem ca.key server.pem server.key client.pem client.key client-enc.key client.p12
	other-ca.pem other-ca.key untrusted-client.pem untrusted-client.key wrong-host.pem wrong-host.key)
all=1
for f in "${FILES[@]}"; do [ -s "$DIR/$f" ] || all=0; done
if [ "$all" = 1 ]; then exit 0; fi

tmp=$(mktemp -d "$DIR/.mk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ossl() { openssl "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }; }

# make_ca NAME CN
make_ca() {
	ossl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" -out "$tmp/$1.pem" -days 3650 \
		-subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
}
# make_leaf NAME CA CN EXTFILE-CONTENT
make_leaf() {
	printf '%s\n' "$4" >"$tmp/$1.ext"
	ossl req -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "/CN=$3"
	ossl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$2.pem" -CAkey "$tmp/$2.key" -CAcreateserial \
		-out "$tmp/$1.pem" -days 3650 -sha256 -extfile "$tmp/$1.ext"
}

make_ca ca "kintone_fdw test CA"
make_ca other-ca "unrelated test CA"
make_leaf server ca localhost "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
make_leaf wrong-host ca wrong-host.invalid "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:wrong-host.invalid"
CLIENT_EXT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
make_leaf client ca kfdw-client "$CLIENT_EXT"
make_leaf untrusted-client other-ca kfdw-untrusted-client "$CLIENT_EXT"
ossl pkey -in "$tmp/client.key" -out "$tmp/client-enc.key" -aes256 -passout pass:client-key-pass
ossl pkcs12 -export -in "$tmp/client.pem" -inkey "$tmp/client.key" -certfile "$tmp/ca.pem" \
	-name kfdw-client -out "$tmp/client.p12" -passout pass:client-p12-pass

for f in "${FILES[@]}"; do
	chmod 0644 "$tmp/$f"
	mv -f "$tmp/$f" "$DIR/$f"
done
chmod 0755 "$DIR"
