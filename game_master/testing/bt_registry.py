"""The Braintrust recorder's login, probe and registration endpoints."""

from __future__ import annotations

from typing import Any

from .bt_state import RecorderState
from .bt_wire import ORG_ID, ORG_NAME, USER_ID, Answer


class RegistryEndpoints(RecorderState):
    """Login, ``/ping``, ``/version`` and project/experiment/dataset registration."""

    # login and probes

    def _org(self) -> dict[str, Any]:
        """The one organization this fake knows."""
        return {
            "id": ORG_ID,
            "name": ORG_NAME,
            "api_url": self.url,
            "proxy_url": self.url,
            "realtime_url": None,
            "is_universal_api": False,
            "git_metadata": {"collect": "none"},
        }

    def _login(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """API-key login: the org list."""
        with self._cond:
            self.logins += 1
        return Answer(200, {"org_info": [self._org()]})

    def _ping(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """User info."""
        return Answer(200, {"id": USER_ID, "email": "recorder@example.invalid", "org_id": ORG_ID})

    def _version(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """Server version and the logs3 payload limit the SDK batches against."""
        info: dict[str, Any] = {"version": "bt-recorder"}
        if self.payload_max_bytes is not None:
            info["logs3_payload_max_bytes"] = self.payload_max_bytes
        return Answer(200, info)

    # registration

    def _project(self, name: str) -> dict[str, Any]:
        """Get or create a project by name."""
        with self._cond:
            if name not in self._projects:
                self._projects[name] = {
                    "id": f"proj-{name}",
                    "name": name,
                    "org_id": ORG_ID,
                    "created": "2024-01-01T00:00:00Z",
                    "user_id": USER_ID,
                    "settings": None,
                }
            return dict(self._projects[name])

    def _project_by_id(self, project_id: str) -> dict[str, Any] | None:
        """A registered project by id."""
        with self._cond:
            for project in self._projects.values():
                if project["id"] == project_id:
                    return dict(project)
        return None

    def _resolve_project(self, args: dict[str, Any]) -> dict[str, Any]:
        """The project named by project_id or project_name in a request."""
        if args.get("project_id"):
            found = self._project_by_id(str(args["project_id"]))
            if found is not None:
                return found
            name = str(args["project_id"]).removeprefix("proj-")
            return self._project(name)
        return self._project(str(args.get("project_name") or args.get("name") or "Global"))

    def _post_project(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """POST /v1/project: create-or-get by name."""
        return Answer(200, self._project(str(self._json(headers, body)["name"])))

    def _register_project(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> Answer:
        """POST /api/project/register: the TypeScript SDK's create-or-get by name."""
        args = self._json(headers, body)
        return Answer(200, {"project": self._project(str(args.get("project_name") or "Global"))})

    def _list_projects(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """GET /v1/project?project_name=..."""
        projects = self.projects().values()
        name = query.get("project_name")
        return Answer(200, {"objects": [p for p in projects if name is None or p["name"] == name]})

    def _get_project(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], project_id: str
    ) -> Answer:
        """GET /v1/project/{id}."""
        found = self._project_by_id(project_id)
        return Answer(200, found) if found else Answer(404, {"error": "no such project"})

    def _experiment(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create (or, without ensure_new, reuse) an experiment."""
        project = self._resolve_project(args)
        with self._cond:
            base = str(args.get("name") or f"experiment-{len(self._experiments) + 1}")
            same = [
                e
                for e in self._experiments.values()
                if e["project_id"] == project["id"] and e["name"] == base
            ]
            if same and not args.get("ensure_new", True):
                return dict(same[-1])
            name = base if not same else f"{base}-{len(same) + 1}"
            exp_id = f"exp-{project['name']}-{name}"
            self._experiments[exp_id] = {
                "id": exp_id,
                "name": name,
                "project_id": project["id"],
                "created": "2024-01-01T00:00:00Z",
                "user_id": USER_ID,
                "public": bool(args.get("public", False)),
                **{
                    k: args[k]
                    for k in ("description", "metadata", "tags", "dataset_id", "dataset_version")
                    if k in args
                },
                **({"base_exp_id": args["base_exp_id"]} if "base_exp_id" in args else {}),
            }
            return dict(self._experiments[exp_id])

    def _post_experiment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> Answer:
        """POST /v1/experiment."""
        return Answer(200, self._experiment(self._json(headers, body)))

    def _list_experiments(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> Answer:
        """GET /v1/experiment?experiment_name=&project_name|project_id=."""
        found = list(self.experiments().values())
        if "experiment_name" in query:
            found = [e for e in found if e["name"] == query["experiment_name"]]
        if "project_id" in query or "project_name" in query:
            project_id = query.get("project_id") or f"proj-{query['project_name']}"
            found = [e for e in found if e["project_id"] == project_id]
        return Answer(200, {"objects": found})

    def _get_experiment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], exp_id: str
    ) -> Answer:
        """GET /v1/experiment/{id}."""
        found = self.experiments().get(exp_id)
        return Answer(200, found) if found else Answer(404, {"error": "no such experiment"})

    def _dataset(self, args: dict[str, Any]) -> dict[str, Any]:
        """Get or create a dataset by project and name."""
        project = self._resolve_project(args)
        name = str(args.get("name") or args.get("dataset_name") or "logs")
        ds_id = f"ds-{project['name']}-{name}"
        with self._cond:
            if ds_id not in self._datasets:
                self._datasets[ds_id] = {
                    "id": ds_id,
                    "name": name,
                    "project_id": project["id"],
                    "created": "2024-01-01T00:00:00Z",
                    "user_id": USER_ID,
                    **{k: args[k] for k in ("description", "metadata") if k in args},
                }
            return dict(self._datasets[ds_id])

    def _post_dataset(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """POST /v1/dataset."""
        return Answer(200, self._dataset(self._json(headers, body)))

    def _list_datasets(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> Answer:
        """GET /v1/dataset?dataset_name=&project_name|project_id=."""
        found = list(self.datasets().values())
        if "dataset_name" in query:
            found = [d for d in found if d["name"] == query["dataset_name"]]
        if "project_id" in query or "project_name" in query:
            project_id = query.get("project_id") or f"proj-{query['project_name']}"
            found = [d for d in found if d["project_id"] == project_id]
        return Answer(200, {"objects": found})

    def _get_dataset(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], ds_id: str
    ) -> Answer:
        """GET /v1/dataset/{id}."""
        found = self.datasets().get(ds_id)
        return Answer(200, found) if found else Answer(404, {"error": "no such dataset"})

    def _base_experiment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> Answer:
        """POST /api/base_experiment/get_id: never a base experiment (the SDK expects 400)."""
        return Answer(400, {"error": "no base experiment"})
