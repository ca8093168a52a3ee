"""A small moderation backend for `imkit serve --moderation-url`: a word list decides.

A message holding a word of `--block` is refused (`{"pass": 0}`); words of `--mask`
are replaced by asterisks (`replaceContent`); anything else passes. Requests whose
signature (appKey, nonce, timestamp, signature = SHA1(secret + nonce + timestamp) in
the query) does not verify are answered 401.

    python examples/moderation-backend/server.py --secret "$SECRET" --port 9000 \\
        --block spam --mask darn
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re

from aiohttp import web


def decide(content: dict[str, object], block: set[str], mask: set[str]) -> dict[str, object]:
    """The answer for a message's content: pass, block, or pass with a replacement."""
    text = content.get("content")
    if not isinstance(text, str):
        return {"pass": 1}
    words = {w.lower() for w in re.findall(r"\w+", text)}
    if words & block:
        return {"pass": 0}
    hit = words & mask
    if not hit:
        return {"pass": 1}
    for word in hit:
        text = re.sub(rf"\b{re.escape(word)}\b", "*" * len(word), text, flags=re.IGNORECASE)
    return {"pass": 1, "replaceContent": json.dumps({**content, "content": text})}


def app(secret: str, block: set[str], mask: set[str]) -> web.Application:
    """The backend's aiohttp application."""

    async def moderate(request: web.Request) -> web.Response:
        q = request.query
        digest = hashlib.sha1((secret + q.get("nonce", "") + q.get("timestamp", "")).encode())
        if not hmac.compare_digest(digest.hexdigest(), q.get("signature", "")):
            return web.Response(status=401)
        form = await request.post()
        content = json.loads(str(form.get("content", "{}")))
        answer = decide(content, block, mask)
        print(form.get("fromUserId"), "->", form.get("toUserId"), content, answer, flush=True)
        return web.json_response(answer)

    application = web.Application()
    application.router.add_post("/moderate", moderate)
    return application


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="the app secret (imkit credentials)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--block", nargs="*", default=["spam"], help="words that refuse")
    parser.add_argument("--mask", nargs="*", default=["darn"], help="words masked with *")
    args = parser.parse_args()
    block = {w.lower() for w in args.block}
    mask = {w.lower() for w in args.mask}
    web.run_app(app(args.secret, block, mask), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
