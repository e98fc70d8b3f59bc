"""The Braintrust recorder's log upload and read-back endpoints."""

from __future__ import annotations

import json
import time
from typing import Any

from .bt_state import RecorderState
from .bt_wire import OBJECT_ID_FIELD, Answer, decode_body


class LogEndpoints(RecorderState):
    """``/logs3`` (and overflow), REST inserts, fetch/BTQL and summaries."""

    # log uploads

    def _accept_rows(self, rows: list[Any], meta: dict[str, Any]) -> None:
        """Store accepted rows (one transaction) and the upload's envelope facts."""
        with self._cond:
            xact = self._next_xact
            self._next_xact += 1
            clean = [dict(r) for r in rows if isinstance(r, dict)]
            self._rows.extend(clean)
            self._xacts.extend([xact] * len(clean))
            self._uploads.append({**meta, "rows": len(clean)})
            self._cond.notify_all()

    def _logs3(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """POST /logs3: ``{"rows": [...] | overflow-reference, "api_version": N}``."""
        with self._cond:
            self.upload_attempts += 1
        fault = self._upload_fault()
        if fault is not None:
            return fault
        envelope = self._json(headers, body)
        rows = envelope["rows"]
        overflow = None
        if isinstance(rows, dict) and rows.get("type") == "logs3_overflow":
            overflow = str(rows["key"])
            with self._cond:
                stored = self._overflow.pop(overflow)
            rows = json.loads(stored)["rows"]
        if not isinstance(rows, list):
            raise ValueError("rows must be a list")
        self._accept_rows(
            rows,
            {
                "path": "/logs3",
                "bytes": len(body),
                "encoding": {k.lower(): v for k, v in headers.items()}.get("content-encoding"),
                "api_version": envelope.get("api_version"),
                "overflow": overflow,
            },
        )
        return Answer(200, {"ids": [r.get("id") for r in rows if isinstance(r, dict)]})

    def _logs3_overflow(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> Answer:
        """POST /logs3/overflow: hand out a signed PUT URL on this server."""
        fault = self._upload_fault()
        if fault is not None:
            return fault
        with self._cond:
            key = f"overflow-{len(self._uploads)}-{len(self._overflow)}-{time.monotonic_ns()}"
            self._overflow[key] = b""
        return Answer(
            200,
            {
                "method": "PUT",
                "signedUrl": f"{self.url}/_upload/overflow/{key}",
                "headers": {"Content-Type": "application/json"},
                "key": key,
            },
        )

    def _put_overflow(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], key: str
    ) -> Answer:
        """PUT of an overflow payload to its signed URL."""
        with self._cond:
            if key not in self._overflow:
                return Answer(404, {"error": "unknown overflow key"})
            self._overflow[key] = decode_body(headers, body)
        return Answer(200, {})

    def _insert(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], kind: str, obj_id: str
    ) -> Answer:
        """POST /v1/{kind}/{id}/insert: REST inserts, stamped with their object id."""
        with self._cond:
            self.upload_attempts += 1
        fault = self._upload_fault()
        if fault is not None:
            return fault
        events = self._json(headers, body)["events"]
        stamp = {OBJECT_ID_FIELD[kind]: obj_id}
        if kind == "project_logs":
            stamp["log_id"] = "g"
        rows = [{**e, **stamp} for e in events]
        self._accept_rows(
            rows, {"path": f"/v1/{kind}/insert", "bytes": len(body), "overflow": None}
        )
        return Answer(200, {"row_ids": [r.get("id") for r in rows]})

    # reading back

    def _object_rows(self, kind: str, obj_id: str) -> list[dict[str, Any]]:
        """Merged rows of one object, with ``_xact_id`` and ``created`` filled in."""
        field = OBJECT_ID_FIELD.get(kind)
        if field is None:
            raise ValueError(f"unknown object type {kind!r}")
        out = []
        for row, xact in self._merged():
            if row.get(field) != obj_id:
                continue
            if kind == "project_logs" and row.get("log_id") not in (None, "g"):
                continue
            out.append({"_xact_id": str(xact), "created": "2024-01-01T00:00:00Z", **row})
        return out

    def _fetch(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], kind: str, obj_id: str
    ) -> Answer:
        """POST|GET /v1/{kind}/{id}/fetch: every merged row in one page."""
        return Answer(200, {"events": self._object_rows(kind, obj_id), "cursor": None})

    def _btql(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """POST /btql: ``select * from kind(id)`` only; filters are ignored."""
        source = self._json(headers, body)["query"]["from"]
        kind = source["name"]["name"][0]
        obj_id = source["args"][0]["value"]
        return Answer(200, {"data": self._object_rows(kind, obj_id), "schema": {}, "cursor": None})

    def _experiment_summary(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], exp_id: str
    ) -> Answer:
        """GET /v1/experiment/{id}/summarize: per score, the mean over traces (no diffs)."""
        per_trace: dict[str, dict[str, list[float]]] = {}
        for row in self._object_rows("experiment", exp_id):
            trace = per_trace.setdefault(str(row.get("root_span_id") or row.get("id")), {})
            for name, value in (row.get("scores") or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    trace.setdefault(name, []).append(float(value))
        sums: dict[str, list[float]] = {}
        for trace in per_trace.values():
            for name, vals in trace.items():
                sums.setdefault(name, []).append(sum(vals) / len(vals))
        scores = {
            name: {
                "name": name,
                "score": sum(vals) / len(vals),
                "diff": None,
                "improvements": None,
                "regressions": None,
            }
            for name, vals in sums.items()
        }
        return Answer(200, {"scores": scores, "metrics": {}, "comparison_experiment_name": None})

    def _dataset_summary(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], ds_id: str
    ) -> Answer:
        """GET /v1/dataset/{id}/summarize."""
        rows = [r for r in self._object_rows("dataset", ds_id) if not r.get("_object_delete")]
        return Answer(200, {"data_summary": {"total_records": len(rows)}})
