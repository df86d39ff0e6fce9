"""``reports.yml``: the report suite, its defaults and its schedule.

::

    notebooks: notebooks            # folder of the notebooks, relative to this file
    schedule: "0 6 * * *"           # cron expression for `insight schedule`
    defaults: {data: data/sample, out: reports, lang: fa, mapping: "", jobs: 2, timeout: 1800}
    parameters: {min_n: 30}         # to every notebook that declares them
    reports:
      - name: data_quality          # notebooks/data_quality.ipynb
        title_fa: کیفیت داده‌ها
        title_en: Data quality
        parameters: {}              # this notebook only

Paths in the file are relative to the file's own folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_DEFAULT_KEYS = {"data", "out", "lang", "mapping", "jobs", "timeout"}
_TOP_KEYS = {"notebooks", "schedule", "defaults", "parameters", "reports", "title_fa", "title_en"}
_REPORT_KEYS = {"name", "title_fa", "title_en", "parameters", "notebook"}


class ConfigError(ValueError):
    """reports.yml is missing, unreadable or malformed (plain message)."""


@dataclass
class Report:
    name: str
    notebook: Path
    title_fa: str = ""
    title_en: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        if lang == "en":
            return self.title_en or self.title_fa or self.name
        return self.title_fa or self.title_en or self.name


@dataclass
class Config:
    path: Path
    root: Path
    reports: list[Report]
    defaults: dict[str, Any]
    parameters: dict[str, Any]
    schedule: str = "0 6 * * *"
    title_fa: str = ""
    title_en: str = ""

    def report(self, name: str) -> Report | None:
        return next((r for r in self.reports if r.name == name), None)

    def path_of(self, value: str | None) -> Path | None:
        """A path from the config, relative to the config's folder."""
        if not value:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.root / p)

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else self.title_fa) or ""


def _mapping(value: Any, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a mapping of name: value")
    return value


def load(path: str | Path) -> Config:
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path} (pass --config FILE)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'reports' list")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(_TOP_KEYS))})")
    root = path.resolve().parent
    defaults = _mapping(raw.get("defaults"), "defaults")
    bad = set(defaults) - _DEFAULT_KEYS
    if bad:
        raise ConfigError(f"{path}: unknown default(s) {', '.join(sorted(bad))} "
                          f"(known: {', '.join(sorted(_DEFAULT_KEYS))})")
    if defaults.get("lang", "fa") not in ("fa", "en"):
        raise ConfigError(f"{path}: defaults.lang must be fa or en")
    for k in ("jobs", "timeout"):
        if k in defaults and (not isinstance(defaults[k], int) or isinstance(defaults[k], bool) or defaults[k] < 0):
            raise ConfigError(f"{path}: defaults.{k} must be a whole number")
    nb_dir = root / str(raw.get("notebooks") or "notebooks")
    reports = []
    items = raw.get("reports")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{path}: 'reports' must be a non-empty list")
    seen = set()
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError(f"{path}: reports[{i}] needs a name")
        bad = set(item) - _REPORT_KEYS
        if bad:
            raise ConfigError(f"{path}: report {item['name']!r}: unknown key(s) {', '.join(sorted(bad))}")
        name = item["name"]
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"{path}: report name {name!r} must be letters, digits, _ or -")
        if name in seen:
            raise ConfigError(f"{path}: report {name!r} is listed twice")
        seen.add(name)
        nb = item.get("notebook")
        notebook = (root / nb) if nb else nb_dir / f"{name}.ipynb"
        reports.append(Report(name, notebook, str(item.get("title_fa") or ""), str(item.get("title_en") or ""),
                              _mapping(item.get("parameters"), f"report {name!r} parameters")))
    schedule = str(raw.get("schedule") or "0 6 * * *")
    if len(schedule.split()) != 5:
        raise ConfigError(f"{path}: schedule must be a 5-field cron expression, got {schedule!r}")
    return Config(path.resolve(), root, reports, defaults, _mapping(raw.get("parameters"), "parameters"),
                  schedule, str(raw.get("title_fa") or ""), str(raw.get("title_en") or ""))
