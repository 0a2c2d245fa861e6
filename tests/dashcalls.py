"""Drive a Dash app's callbacks over HTTP as a browser would, without one: render a page, call every callback whose
inputs are on it with the values its components hold, and feed what comes back into the next round, the way the
browser's chain of callbacks runs; then call each again with one input or state replaced by a forged value.

Used by the scope-leak suite (``tests/test_scope_leaks.py``) to look at every answer a logged-in person can get."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

WILDCARDS = ('["ALL"]', '["MATCH"]', '["ALLSMALLER"]')


@dataclass
class Answer:
    """One callback call: which callback, what was sent, the status and the readable text of the answer (JSON
    unescaped, downloads decoded, the text inside zipped office files)."""

    output: str
    sent: list
    status: int
    text: str


@dataclass
class Browser:
    """A logged-in test client of a Dash app at ``base`` and the component properties it has seen."""

    client: object
    base: str
    dependencies: list = field(default_factory=list)
    props: dict = field(default_factory=dict)  # (id as JSON, property) → value
    ids: dict = field(default_factory=dict)  # id as JSON → the id (a string or a dict)

    def load(self) -> None:
        """The callbacks and the page frame's components."""
        self.dependencies = self.client.get(f"{self.base}/_dash-dependencies").get_json()
        self.props.clear()
        self.ids.clear()
        self._harvest(self.client.get(f"{self.base}/_dash-layout").get_json())

    def open(self, path: str, search: str = "") -> list[Answer]:
        """Render a page through Dash Pages' router and run the callbacks a browser runs on loading it (not those
        that wait for a click: ``prevent_initial_call``) for a few rounds."""
        self._set("_pages_location", "pathname", path)
        self._set("_pages_location", "search", search)
        self._set("app-url", "pathname", path)
        self._set("app-url", "search", search)
        answers = []
        for _round in range(3):
            answers += [self.call(d) for d in self.callable() if _on_load(d)]
        return answers

    def snapshot(self) -> tuple[dict, dict]:
        """The page as it is now, to go back to (:meth:`restore`)."""
        return dict(self.props), dict(self.ids)

    def restore(self, snapshot: tuple[dict, dict]) -> None:
        """Back to a :meth:`snapshot`."""
        self.props, self.ids = dict(snapshot[0]), dict(snapshot[1])

    def callable(self) -> list[dict]:
        """The callbacks (not client-side) whose every input is on the page now."""
        return [
            d
            for d in self.dependencies
            if d.get("clientside_function") is None and d["inputs"] and all(self._present(i["id"]) for i in d["inputs"])
        ]

    def call(self, dependency: dict, forged: dict | None = None, trigger: int = 0) -> Answer:
        """Call one callback with the page's values (``forged``: (slot kind, index) → a value to send instead),
        as if its ``trigger``-th input changed; keep what it sets."""
        forged = forged or {}
        body = {
            "output": dependency["output"],
            "outputs": self._outputs(dependency["output"]),
            "inputs": [self._slot(item, forged.get(("inputs", n), _UNSET)) for n, item in enumerate(dependency["inputs"])],
            "state": [self._slot(item, forged.get(("state", n), _UNSET)) for n, item in enumerate(dependency["state"])],
        }
        first = body["inputs"][trigger] if body["inputs"] else None
        body["changedPropIds"] = [_changed(first)] if first else []
        response = self._post(body)
        raw = response.get_data()
        text = raw.decode("utf-8", "replace")
        if response.status_code == 200 and raw:
            try:
                found = json.loads(raw)
            except ValueError:
                found = None
            if isinstance(found, dict):
                self._absorb(found.get("response") or {})
                text = json.dumps(found, ensure_ascii=False) + "\n" + "\n".join(_downloads(found))
        return Answer(dependency["output"], [body["inputs"], body["state"]], response.status_code, text)

    def _post(self, body: dict, wait: float = 120):
        """Send a callback; a background callback's answer is its job's handles, polled as the browser polls them
        until the job's result comes (a job still running after ``wait`` seconds: the last answer)."""
        import time
        from urllib.parse import urlencode

        url = f"{self.base}/_dash-update-component"
        response = self.client.post(url, json=body, headers={"Origin": self.base})
        handles = _json(response)
        if not (isinstance(handles, dict) and "cacheKey" in handles and "job" in handles):
            return response
        deadline = time.monotonic() + wait
        query = urlencode({"cacheKey": handles["cacheKey"], "job": handles["job"]})
        while True:
            response = self.client.post(f"{url}?{query}", json=body, headers={"Origin": self.base})
            found = _json(response)
            if not (isinstance(found, dict) and set(found) <= {"multi", "progress", "running"}):
                return response
            if time.monotonic() > deadline:
                return response
            time.sleep(0.1)

    def slots(self, dependency: dict) -> Iterator[tuple[tuple[str, int], object]]:
        """Each input and state of a callback with the value the page holds for it (single ids only)."""
        for kind in ("inputs", "state"):
            for n, item in enumerate(dependency[kind]):
                if not any(w in item["id"] for w in WILDCARDS):
                    yield (kind, n), self.props.get((item["id"], item["property"]))

    # ------------------------------------------------------------------ internals

    def _set(self, component: str, prop: str, value) -> None:
        self.ids.setdefault(component, component)
        self.props[(component, prop)] = value

    def _present(self, id_text: str) -> bool:
        return bool(self._matches(id_text))

    def _matches(self, id_text: str) -> list[str]:
        if not any(w in id_text for w in WILDCARDS):
            return [id_text] if id_text in self.ids else []
        pattern = json.loads(id_text)
        fixed = {k: v for k, v in pattern.items() if not isinstance(v, list)}
        return [
            key
            for key, known in self.ids.items()
            if isinstance(known, dict) and set(known) == set(pattern) and all(known[k] == v for k, v in fixed.items())
        ]

    def _slot(self, item: dict, forged):
        matches = self._matches(item["id"])
        if any(w in item["id"] for w in WILDCARDS):
            found = [{"id": self.ids[key], "property": item["property"], "value": self.props.get((key, item["property"]))}
                     for key in matches]  # fmt: skip
            return found if '["ALL"]' in item["id"] or '["ALLSMALLER"]' in item["id"] else (found[:1] or [{}])[0]
        value = self.props.get((item["id"], item["property"])) if forged is _UNSET else forged
        if forged is _UNSET and item["property"] == "id":
            value = self.ids.get(item["id"], item["id"])
        return {"id": self.ids.get(item["id"], item["id"]), "property": item["property"], "value": value}

    def _outputs(self, output: str):
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        found = []
        for part in parts:
            id_text, _dot, prop = part.rpartition(".")
            if any(w in id_text for w in WILDCARDS):
                items = [{"id": self.ids[key], "property": prop} for key in self._matches(id_text)]
                found.append(items if '["ALL"]' in id_text else (items[:1] or [{}])[0])
            else:
                found.append({"id": id_text, "property": prop})
        return found if output.startswith("..") else found[0]

    def _absorb(self, response: dict) -> None:
        for component, props in response.items():
            known = json.loads(component) if component.startswith("{") else component
            key = _key(known)
            self.ids.setdefault(key, known)
            for prop, value in props.items():
                self.props[(key, prop)] = value
                self._harvest(value)

    def _harvest(self, tree) -> None:
        for node in _nodes(tree):
            props = node.get("props") or {}
            if "id" not in props:
                continue
            known = props["id"]
            key = _key(known)
            self.ids[key] = known
            for prop, value in props.items():
                if prop != "children" or not isinstance(value, (dict, list)):
                    self.props[(key, prop)] = value


_UNSET = object()


def _json(response):
    """A callback answer's JSON, or None (no body: nothing to update; an error's text)."""
    try:
        return json.loads(response.get_data()) if response.status_code == 200 else None
    except ValueError:
        return None


def _on_load(dependency: dict) -> bool:
    """Whether a browser runs a callback when its page loads: Dash Pages' router always (it draws the page, and
    is registered to wait for a location change that the first load makes), any other unless it waits for a click."""
    return "_pages_content" in dependency["output"] or not dependency.get("prevent_initial_call")


def _key(ident) -> str:
    """An id as the dependencies write it: a string, or a dict as compact JSON with sorted keys."""
    return json.dumps(ident, separators=(",", ":"), sort_keys=True) if isinstance(ident, dict) else str(ident)


def _changed(slot) -> str:
    if isinstance(slot, list):
        slot = slot[0] if slot else {}
    if not slot:
        return ""
    return f"{_key(slot['id'])}.{slot['property']}"


def _nodes(tree) -> Iterable[dict]:
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "type" in item and "props" in item:
                yield item
                stack.extend(v for v in item["props"].values() if isinstance(v, (dict, list)))
            else:
                stack.extend(v for v in item.values() if isinstance(v, (dict, list)))


def _downloads(found) -> list[str]:
    """The text of every download in an answer (``dcc.Download`` data), office files unzipped."""
    texts = []
    for node in _walk(found):
        if isinstance(node, dict) and "content" in node and "filename" in node:
            content = node["content"]
            data = base64.b64decode(content) if node.get("base64") else str(content).encode()
            texts.append(_readable(data))
    return texts


def _walk(tree) -> Iterable:
    stack = [tree]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _readable(data: bytes) -> str:
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return data.decode("utf-8", "replace")
