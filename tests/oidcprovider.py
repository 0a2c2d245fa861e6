"""A local OpenID Connect provider for the single sign-on tests: discovery, authorization (whoever ``login_as``
names is logged in at once), the token endpoint with client authentication and PKCE, and the published keys, on
a free loopback port in a thread of the test process. ``tamper`` makes its next ID token wrong in one way."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

from tests.serving import free_port

CLIENT_ID, CLIENT_SECRET = "cxwb-test", "client secret of the test"


class Provider:
    """The running provider: its ``issuer`` URL; ``login_as`` the name its next login gives (``None``: the person
    refuses), ``tamper`` one of ``audience``, ``issuer``, ``nonce``, ``expired``, ``key``, ``unsigned`` or None."""

    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.login_as: str | None = "jana"
        self.tamper: str | None = None
        self.codes: dict[str, dict] = {}
        self.token_requests = 0
        self.server = make_server("127.0.0.1", self.port, self._app(), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()

    def _app(self) -> Flask:
        app = Flask("oidc-provider")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=self.issuer,
                authorization_endpoint=f"{self.issuer}/authorize",
                token_endpoint=f"{self.issuer}/token",
                jwks_uri=f"{self.issuer}/jwks",
                response_types_supported=["code"],
                id_token_signing_alg_values_supported=["RS256"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            query = request.args
            assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
            assert query["code_challenge_method"] == "S256" and "openid" in query["scope"].split()
            back = query["redirect_uri"]
            if self.login_as is None:
                return redirect(f"{back}?{urlencode({'error': 'access_denied', 'state': query['state']})}")
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": query["nonce"], "challenge": query["code_challenge"], "back": back,
                                "name": self.login_as}  # fmt: skip
            return redirect(f"{back}?{urlencode({'code': code, 'state': query['state']})}")

        @app.post("/token")
        def token():
            self.token_requests += 1
            client, _colon, secret = base64.b64decode(request.headers["Authorization"].split()[1]).decode().partition(":")
            form = request.form
            given = self.codes.pop(form.get("code", ""), None)
            if (client, secret) != (CLIENT_ID, CLIENT_SECRET) or given is None or form["redirect_uri"] != given["back"]:
                return jsonify(error="invalid_grant"), 400
            challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=")
            if challenge.decode() != given["challenge"]:
                return jsonify(error="invalid_grant"), 400
            return jsonify(access_token="a", token_type="Bearer", expires_in=300, id_token=self.id_token(given))

        return app

    def id_token(self, given: dict) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": f"sub-{given['name']}", "iat": now, "exp": now + 300,
                  "nonce": given["nonce"], "preferred_username": given["name"]}  # fmt: skip
        tamper, self.tamper = self.tamper, None
        key = self.key
        if tamper == "audience":
            claims["aud"] = "another-client"
        elif tamper == "issuer":
            claims["iss"] = "http://127.0.0.1:1"
        elif tamper == "nonce":
            claims["nonce"] = "another nonce"
        elif tamper == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 600
        elif tamper == "key":
            key = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # the published kid, another key
        elif tamper == "unsigned":
            header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
            import json

            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{header}.{body}."
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
