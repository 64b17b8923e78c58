#!/usr/bin/env python3
"""A stand-in catalog website for the demo: serves bundles from a directory, mints
API tokens on the server side with PyJWT, and verifies Stack Desktop's callbacks.

    website.py serve PORT DIR SECRET_FILE ISSUER    # prints the bound port, records DIR/callbacks.jsonl
    website.py token SECRET_FILE ISSUER SCOPE [BODY_FILE] [METHOD PATH]   # METHOD PATH: htm/htu, needed for stacks:manage
"""
import hashlib, http.server, json, sys, time, uuid
import jwt


def token(secret_file, issuer, scope, body_file=None, method=None, path=None):
    secret = open(secret_file).read().strip()
    now = int(time.time())
    claims = {"iss": issuer, "aud": "stack-desktop", "iat": now, "exp": now + 120,
              "jti": str(uuid.uuid4()), "scope": scope}
    if body_file:
        claims["body_sha256"] = hashlib.sha256(open(body_file, "rb").read()).hexdigest()
    if method and path:
        # Bound to one request (DPoP-style htm/htu); stacks:manage tokens need it.
        claims["htm"] = method
        claims["htu"] = path
    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "stack+jwt"})


def serve(port, root, secret_file, issuer):
    secret = open(secret_file).read().strip()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)

        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            record = {"path": self.path}
            try:
                raw = self.headers["Authorization"].split(" ", 1)[1]
                header = jwt.get_unverified_header(raw)
                claims = jwt.decode(raw, secret, algorithms=["HS256"], audience=issuer, issuer="stack-desktop")
                record["verified"] = (header.get("typ") == "stack-callback+jwt"
                                      and claims["body_sha256"] == hashlib.sha256(body).hexdigest())
                record["body"] = json.loads(body)
            except Exception as error:  # a bad callback is recorded, not trusted
                record["verified"] = False
                record["error"] = str(error)
            with open(root + "/callbacks.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")
            self.send_response(204)
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        print(token(*sys.argv[2:]))
