"""The parameters registry: every setting a manager can change, declared once
with its type, default, bounds, the levels where it may be set and a French
and English description.

A value set at a more specific level wins: vehicle, then user group, then
community, then organisation, then the declared default. Each app declares
its own parameters in its ``params.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q

from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from flotte.accounts.models import Community, Organisation, User, UserGroup
    from flotte.fleet.models import Vehicle


class Level(StrEnum):
    ORGANISATION = "organisation"
    COMMUNITY = "community"
    GROUP = "group"
    VEHICLE = "vehicle"


# Most specific first: the first level with a value wins.
PRECEDENCE = (Level.VEHICLE, Level.GROUP, Level.COMMUNITY, Level.ORGANISATION)


def _in_force(parameter: Parameter, stored: dict[str, Any]) -> Any:
    """The value stored at the most specific level set (``stored``: level to
    stored JSON), else the parameter's default."""
    level = next((lv for lv in PRECEDENCE if lv in stored), None)
    return parameter.default if level is None else parameter.from_json(stored[level])


class Kind(StrEnum):
    INT = "int"
    DECIMAL = "decimal"
    BOOL = "bool"
    TEXT = "text"
    CHOICE = "choice"
    TEXT_LIST = "text_list"


@dataclass(frozen=True)
class Parameter:
    key: str
    kind: Kind
    default: Any
    levels: tuple[Level, ...]
    fr: str
    en: str
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    module: str = field(default="", compare=False)

    def clean(self, raw: Any) -> Any:
        """Check and normalise a value; a bad one raises with a clear message."""
        value = self._coerce(raw)
        if self.kind in (Kind.INT, Kind.DECIMAL):
            if self.minimum is not None and value < self.minimum:
                raise self._bad(
                    raw, f"must be at least {self.minimum}", "minimum", bound=self.minimum
                )
            if self.maximum is not None and value > self.maximum:
                raise self._bad(
                    raw, f"must be at most {self.maximum}", "maximum", bound=self.maximum
                )
        if self.kind is Kind.CHOICE and value not in self.choices:
            choices = ", ".join(self.choices)
            raise self._bad(raw, f"must be one of {choices}", "choice", choices=choices)
        if self.kind is Kind.TEXT_LIST and self.choices:
            unknown = [item for item in value if item not in self.choices]
            if unknown:
                choices = ", ".join(self.choices)
                raise self._bad(raw, f"may only hold {choices}", "choices", choices=choices)
        return value

    def _coerce(self, raw: Any) -> Any:
        if self.kind is Kind.INT:
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise self._bad(raw, "must be a whole number", "whole")
            try:
                return int(raw)
            except ValueError:
                raise self._bad(raw, "must be a whole number", "whole") from None
        if self.kind is Kind.DECIMAL:
            if isinstance(raw, bool | float) or not isinstance(raw, int | str | Decimal):
                raise self._bad(
                    raw, 'must be a decimal number written as text, like "10.00"', "decimal"
                )
            try:
                number = Decimal(raw)
            except InvalidOperation:
                raise self._bad(raw, "must be a decimal number", "decimal") from None
            if not number.is_finite():
                raise self._bad(raw, "must be a finite number", "decimal")
            return number
        if self.kind is Kind.BOOL:
            if not isinstance(raw, bool):
                raise self._bad(raw, "must be true or false", "bool")
            return raw
        if self.kind in (Kind.TEXT, Kind.CHOICE):
            if not isinstance(raw, str):
                raise self._bad(raw, "must be text", "text")
            return raw.strip()
        if self.kind is Kind.TEXT_LIST:
            if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
                raise self._bad(raw, "must be a list of texts", "texts")
            return [item.strip().lower() for item in raw if item.strip()]
        raise AssertionError(self.kind)

    def _bad(self, raw: Any, why: str, rule: str, **figures: Any) -> ValidationFailed:
        """``rule`` names the broken rule, so that a page can word it in
        its reader's language (``web/errors.py``)."""
        return ValidationFailed(
            f"{self.key}: {json.dumps(raw, default=str)} {why}",
            code="invalid_parameter",
            fields={"value": why},
            figures={"rule": rule, **figures},
        )

    def to_json(self, value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    def from_json(self, stored: Any) -> Any:
        return Decimal(stored) if self.kind is Kind.DECIMAL else stored

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.kind.value,
            "default": self.to_json(self.default),
            "minimum": None if self.minimum is None else self.to_json(self.minimum),
            "maximum": None if self.maximum is None else self.to_json(self.maximum),
            "choices": list(self.choices),
            "unit": self.unit,
            "levels": [level.value for level in self.levels],
            "description": {"fr": self.fr, "en": self.en},
            "module": self.module,
        }


_registry: dict[str, Parameter] = {}


def declare(
    key: str,
    kind: Kind,
    default: Any,
    *,
    levels: tuple[Level, ...],
    fr: str,
    en: str,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    choices: tuple[str, ...] = (),
    unit: str = "",
) -> Parameter:
    if key in _registry:
        raise ValueError(f"parameter {key} is declared twice")
    if not levels:
        raise ValueError(f"parameter {key} has no level")
    import inspect

    caller = inspect.stack()[1].frame.f_globals.get("__name__", "")
    if kind is Kind.DECIMAL:
        default = Decimal(default)
    parameter = Parameter(
        key, kind, default, levels, fr, en, minimum, maximum, choices, unit, module=caller
    )
    parameter.clean(parameter.to_json(default))  # a bad default is a programming error
    _registry[key] = parameter
    return parameter


def registry() -> dict[str, Parameter]:
    return dict(sorted(_registry.items()))


def get_parameter(key: str) -> Parameter:
    try:
        return _registry[key]
    except KeyError:
        raise NotFound(f"no parameter is called {key!r}", code="unknown_parameter") from None


def param_value(
    key: str,
    *,
    organisation: Organisation,
    community: Community | None = None,
    group: UserGroup | None = None,
    vehicle: Vehicle | None = None,
) -> Any:
    """The value in force for this context: the most specific level wins."""
    return param_values(
        [key], organisation=organisation, community=community, group=group, vehicle=vehicle
    )[key]


def param_values(
    keys: list[str],
    *,
    organisation: Organisation,
    community: Community | None = None,
    group: UserGroup | None = None,
    vehicle: Vehicle | None = None,
) -> dict[str, Any]:
    """Several parameters of one context in one query (none within a
    ``param_snapshot`` that already read the organisation's values)."""
    from flotte.accounts.models import ParameterValue

    parameters = {key: get_parameter(key) for key in keys}
    snapshot = _snapshot.get()
    if snapshot is not None:
        return snapshot.values(
            parameters,
            organisation=organisation,
            community=community,
            group=group,
            vehicle=vehicle,
        )
    targets = {
        Level.ORGANISATION: Q(level=Level.ORGANISATION),
        Level.COMMUNITY: Q(level=Level.COMMUNITY, community=community) if community else None,
        Level.GROUP: Q(level=Level.GROUP, group=group) if group else None,
        Level.VEHICLE: Q(level=Level.VEHICLE, vehicle=vehicle) if vehicle else None,
    }
    wanted = Q()
    for condition in targets.values():
        if condition is not None:
            wanted |= condition
    found: dict[str, dict[str, Any]] = {key: {} for key in keys}
    for row in ParameterValue.objects.filter(organisation=organisation, key__in=keys).filter(
        wanted
    ):
        if row.level in parameters[row.key].levels:
            found[row.key][row.level] = row.value
    return {key: _in_force(parameter, found[key]) for key, parameter in parameters.items()}


def organisation_param_values(
    keys: list[str], organisation_ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """Organisation-level parameters of several organisations in one query
    (for work that spans organisations, such as a batch of box messages)."""
    from flotte.accounts.models import ParameterValue

    parameters = {key: get_parameter(key) for key in keys}
    ids = set(organisation_ids)
    values = {org: {key: p.default for key, p in parameters.items()} for org in ids}
    rows = ParameterValue.objects.filter(
        organisation_id__in=ids, key__in=keys, level=Level.ORGANISATION
    ).values_list("organisation_id", "key", "value")
    for organisation_id, key, value in rows:
        values[organisation_id][key] = parameters[key].from_json(value)
    return values


def _target(
    organisation: Organisation,
    community: Community | None,
    group: UserGroup | None,
    vehicle: Vehicle | None,
) -> tuple[Level, dict[str, Any]]:
    given = [
        (level, obj)
        for level, obj in [
            (Level.COMMUNITY, community),
            (Level.GROUP, group),
            (Level.VEHICLE, vehicle),
        ]
        if obj is not None
    ]
    if len(given) > 1:
        raise ValidationFailed("set a parameter at one level at a time", code="invalid_level")
    if not given:
        return Level.ORGANISATION, {}
    level, obj = given[0]
    if obj.organisation_id != organisation.pk:
        raise NotFound(f"no such {level.value} in this organisation")
    return level, {level.value: obj}


def _require_manager(actor: User | None, organisation: Organisation) -> None:
    """Managers of the organisation set its parameters; ``None`` is the
    platform itself (demo data, migrations)."""
    if actor is not None:
        from flotte.accounts.selectors import require_manager_of_organisation

        require_manager_of_organisation(actor, organisation)


@transaction.atomic
def param_set(
    *,
    actor: User | None,
    key: str,
    value: Any,
    organisation: Organisation,
    community: Community | None = None,
    group: UserGroup | None = None,
    vehicle: Vehicle | None = None,
) -> Any:
    """Set a parameter at the level of the target given (the organisation when
    none is). Refuses a level the parameter does not allow and a bad value."""
    from flotte.accounts.models import ParameterValue

    _require_manager(actor, organisation)
    parameter = get_parameter(key)
    level, target = _target(organisation, community, group, vehicle)
    if level not in parameter.levels:
        allowed = ", ".join(lv.value for lv in parameter.levels)
        raise ValidationFailed(
            f"{key} cannot be set per {level.value}; it can be set per {allowed}",
            code="invalid_level",
            figures={"level": level.value, "allowed": allowed},
        )
    cleaned = parameter.clean(value)
    _snapshot_forget(organisation)
    row, _ = ParameterValue.objects.update_or_create(
        organisation=organisation,
        key=key,
        level=level.value,
        **target,
        defaults={
            "value": parameter.to_json(cleaned),
            "updated_at": clock.now(),
            "updated_by": actor,
        },
    )
    audit("parameter.set", row, actor=actor, data={"key": key, "value": row.value, "level": level})
    return cleaned


@transaction.atomic
def param_unset(
    *,
    actor: User | None,
    key: str,
    organisation: Organisation,
    community: Community | None = None,
    group: UserGroup | None = None,
    vehicle: Vehicle | None = None,
) -> None:
    """Remove a value so that the level above applies again."""
    from flotte.accounts.models import ParameterValue

    _require_manager(actor, organisation)
    get_parameter(key)
    level, target = _target(organisation, community, group, vehicle)
    _snapshot_forget(organisation)
    rows = ParameterValue.objects.filter(
        organisation=organisation, key=key, level=level.value, **target
    )
    for row in rows:
        audit("parameter.unset", row, actor=actor, data={"key": key, "level": level})
    rows.delete()


def render_markdown() -> str:
    """``docs/parameters.md``, generated from the registry."""
    lines = [
        "# Parameters",
        "",
        "Generated by `flotte params --markdown` from the registry; do not edit by hand.",
        "A value set at a more specific level wins: vehicle, then user group, then "
        "community, then organisation, then the default.",
        "",
        f"{len(_registry)} parameters.",
        "",
    ]
    for parameter in registry().values():
        bounds = []
        if parameter.minimum is not None:
            bounds.append(f"min {parameter.minimum}")
        if parameter.maximum is not None:
            bounds.append(f"max {parameter.maximum}")
        if parameter.choices:
            bounds.append("one of " + ", ".join(f"`{c}`" for c in parameter.choices))
        default = json.dumps(parameter.to_json(parameter.default), ensure_ascii=False)
        lines += [
            f"## `{parameter.key}`",
            "",
            f"- type: {parameter.kind.value}" + (f" ({parameter.unit})" if parameter.unit else ""),
            f"- default: `{default}`",
            *([f"- allowed: {'; '.join(bounds)}"] if bounds else []),
            "- levels: " + ", ".join(level.value for level in parameter.levels),
            f"- en: {parameter.en}",
            f"- fr: {parameter.fr}",
            "",
        ]
    return "\n".join(lines)


def describe_all() -> list[dict[str, Any]]:
    return [parameter.describe() for parameter in registry().values()]


@dataclass(frozen=True)
class ParamContext:
    """Where a rule applies (organisation, community, group, vehicle), to
    read several parameters for the same context."""

    organisation: Organisation
    community: Community | None = None
    group: UserGroup | None = None
    vehicle: Vehicle | None = None

    def value(self, key: str) -> Any:
        return self.values(key)[key]

    def values(self, *keys: str) -> dict[str, Any]:
        """Several parameters in one query."""
        return param_values(
            list(keys),
            organisation=self.organisation,
            community=self.community,
            group=self.group,
            vehicle=self.vehicle,
        )

    def for_vehicle(self, vehicle: Vehicle | None) -> ParamContext:
        return ParamContext(self.organisation, self.community, self.group, vehicle)


def param_values_per_vehicle(
    keys: list[str], *, context: ParamContext, vehicles: list[Vehicle]
) -> dict[str, dict[int, Any]]:
    """The values in force for each of many vehicles of one context, for
    several keys, in one query (a search over a whole fleet would otherwise
    ask once per vehicle and key)."""
    from flotte.accounts.models import ParameterValue

    parameters = {key: get_parameter(key) for key in keys}
    snapshot = _snapshot.get()
    if snapshot is not None:
        return snapshot.values_per_vehicle(parameters, context=context, vehicles=vehicles)
    wanted = Q(level=Level.ORGANISATION) | Q(
        level=Level.VEHICLE, vehicle__in=[v.pk for v in vehicles]
    )
    if context.community is not None:
        wanted |= Q(level=Level.COMMUNITY, community=context.community)
    if context.group is not None:
        wanted |= Q(level=Level.GROUP, group=context.group)
    shared: dict[str, dict[str, Any]] = {key: {} for key in keys}
    own: dict[str, dict[int, Any]] = {key: {} for key in keys}
    rows = ParameterValue.objects.filter(organisation=context.organisation, key__in=keys)
    for row in rows.filter(wanted):
        parameter = parameters[row.key]
        if row.level not in parameter.levels:
            continue
        if row.level == Level.VEHICLE:
            own[row.key][row.vehicle_id] = parameter.from_json(row.value)  # type: ignore[index]
        else:
            shared[row.key][row.level] = row.value
    values: dict[str, dict[int, Any]] = {}
    for key, parameter in parameters.items():
        base = _in_force(parameter, shared[key])
        values[key] = {vehicle.pk: own[key].get(vehicle.pk, base) for vehicle in vehicles}
    return values


# A value row as the snapshot keeps it: key, level, community, group and
# vehicle ids, and the stored JSON value.
_Row = tuple[str, str, int | None, int | None, int | None, Any]


class _Snapshot:
    """The parameter values of each organisation read once: the rows of the
    shared levels (organisation, community, group) with the first question,
    a vehicle's own rows the first time it is asked about (those of
    ``vehicle_ids``, or of every vehicle with ``all_vehicles``, come with
    the first query). Resolution is the same as ``param_values``: the most
    specific level the parameter allows."""

    def __init__(self, vehicle_ids: Iterable[int], all_vehicles: bool) -> None:
        self.prefetch = set(vehicle_ids)
        self.all_vehicles = all_vehicles
        self.shared: dict[int, list[_Row]] = {}
        self.own: dict[int, dict[int, list[_Row]]] = {}
        self.complete: set[int] = set()  # organisations whose vehicle rows are all read

    def forget(self, organisation_id: int) -> None:
        self.shared.pop(organisation_id, None)
        self.own.pop(organisation_id, None)
        self.complete.discard(organisation_id)

    def _load(self, organisation_id: int, vehicle_ids: Iterable[int]) -> None:
        from flotte.accounts.models import ParameterValue

        own = self.own.setdefault(organisation_id, {})
        first = organisation_id not in self.shared
        missing = set()
        if organisation_id not in self.complete:
            missing = {pk for pk in vehicle_ids if pk not in own}
        if not first and not missing:
            return
        rows = ParameterValue.objects.filter(organisation_id=organisation_id)
        if first and self.all_vehicles:
            self.complete.add(organisation_id)
            missing = set()
        else:
            if first:
                missing |= self.prefetch - own.keys()
            wanted = Q(level=Level.VEHICLE, vehicle_id__in=missing)
            if first:
                wanted |= ~Q(level=Level.VEHICLE)
            rows = rows.filter(wanted)
        if first:
            self.shared[organisation_id] = []
        for pk in missing:
            own[pk] = []
        for row in rows.values_list(
            "key", "level", "community_id", "group_id", "vehicle_id", "value"
        ):
            if row[1] == Level.VEHICLE:
                own.setdefault(row[4], []).append(row)
            else:
                self.shared[organisation_id].append(row)

    def _shared_found(
        self,
        parameters: dict[str, Parameter],
        organisation_id: int,
        community_id: int | None,
        group_id: int | None,
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {key: {} for key in parameters}
        for key, level, row_community, row_group, _, value in self.shared[organisation_id]:
            parameter = parameters.get(key)
            if parameter is None or level not in parameter.levels:
                continue
            if (
                level == Level.ORGANISATION
                or (level == Level.COMMUNITY and row_community == community_id is not None)
                or (level == Level.GROUP and row_group == group_id is not None)
            ):
                found[key][level] = value
        return found

    def values(
        self,
        parameters: dict[str, Parameter],
        *,
        organisation: Organisation,
        community: Community | None,
        group: UserGroup | None,
        vehicle: Vehicle | None,
    ) -> dict[str, Any]:
        vehicle_ids = [vehicle.pk] if vehicle is not None else []
        self._load(organisation.pk, vehicle_ids)
        found = self._shared_found(
            parameters,
            organisation.pk,
            community.pk if community else None,
            group.pk if group else None,
        )
        if vehicle is not None:
            for key, stored_level, _, _, _, value in self.own[organisation.pk].get(vehicle.pk, []):
                parameter = parameters.get(key)
                if parameter is not None and stored_level in parameter.levels:
                    found[key][stored_level] = value
        return {key: _in_force(parameter, found[key]) for key, parameter in parameters.items()}

    def values_per_vehicle(
        self, parameters: dict[str, Parameter], *, context: ParamContext, vehicles: list[Vehicle]
    ) -> dict[str, dict[int, Any]]:
        organisation_id = context.organisation.pk
        self._load(organisation_id, [v.pk for v in vehicles])
        found = self._shared_found(
            parameters,
            organisation_id,
            context.community.pk if context.community else None,
            context.group.pk if context.group else None,
        )
        own_rows = self.own[organisation_id]
        values: dict[str, dict[int, Any]] = {}
        for key, parameter in parameters.items():
            base = _in_force(parameter, found[key])
            values[key] = {}
            for vehicle in vehicles:
                own = next(
                    (
                        value
                        for row_key, level, _, _, _, value in own_rows.get(vehicle.pk, [])
                        if row_key == key and level in parameter.levels
                    ),
                    None,
                )
                values[key][vehicle.pk] = base if own is None else parameter.from_json(own)
        return values


_snapshot: ContextVar[_Snapshot | None] = ContextVar("parameter_snapshot", default=None)


@contextmanager
def param_snapshot(
    *, vehicle_ids: Iterable[int] = (), all_vehicles: bool = False
) -> Iterator[None]:
    """Within the block, each organisation's parameter values are read once
    and every ``param_value(s)``, ``ParamContext`` and
    ``param_values_per_vehicle`` is answered from them: a booking asks about
    a dozen rules in several places, a search about a whole fleet. Setting
    or unsetting a value inside the block forgets that organisation's.
    ``vehicle_ids`` and ``all_vehicles`` say which vehicles' own values the
    first query reads too."""
    if _snapshot.get() is not None:
        yield
        return
    token = _snapshot.set(_Snapshot(vehicle_ids, all_vehicles))
    try:
        yield
    finally:
        _snapshot.reset(token)


def _snapshot_forget(organisation: Organisation) -> None:
    snapshot = _snapshot.get()
    if snapshot is not None:
        snapshot.forget(organisation.pk)
