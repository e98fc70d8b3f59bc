"""Retold turns: a retry is told on a fork of the Claude session, and reads as another
telling: another choice of what to say (its shape), not the same words again."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from .conversation import Reply
from .planner import narrate, telling_of


class Tellings:
    """What each Claude session was told at each moment of a story, so a retold turn (a fork
    of the session taken before it) never reads word for word like an earlier telling.

    A moment is the request's conversation; a telling is the session the request names.
    Bounded: the oldest moments are forgotten first."""

    RETRIES = 8

    def __init__(self, max_moments: int = 2000) -> None:
        """Remember at most ``max_moments`` moments."""
        self._told: OrderedDict[str, dict[str, tuple[str, str]]] = OrderedDict()
        self._max = max_moments
        self._lock = threading.Lock()

    @staticmethod
    def moment(request: dict[str, Any]) -> str:
        """A digest of the conversation so far (what every telling of this moment shares)."""
        shared = json.dumps([request.get("system"), request.get("messages")], sort_keys=True)
        return hashlib.sha256(shared.encode("utf-8")).hexdigest()

    def reply(self, request: dict[str, Any], seed: int) -> Reply:
        """``narrate``'s reply, told anew while another session had this moment told in the
        same words or in the same shape (the same parts, in the same order)."""
        moment, session = self.moment(request), telling_of(request)
        with self._lock:
            told = dict(self._told.get(moment, {}))
        others = [said for who, said in told.items() if who != session]
        texts = {text for text, _ in others}
        shapes = {shape for _, shape in others if shape}

        def fresh(r: Reply) -> bool:
            return not r.text_content or r.text_content not in texts

        def new_shape(r: Reply) -> bool:
            return not r.shape or r.shape not in shapes

        reply = narrate(request, seed=seed)
        for retelling in range(1, self.RETRIES + 1):
            if fresh(reply) and new_shape(reply):
                break
            other = narrate(request, seed=seed, retelling=retelling)
            if fresh(other) and (new_shape(other) or not fresh(reply)):
                reply = other
        with self._lock:
            self._told.setdefault(moment, {})[session] = (reply.text_content, reply.shape)
            self._told.move_to_end(moment)
            while len(self._told) > self._max:
                self._told.popitem(last=False)
        return reply
