"""User groups in the console: the organisation's groups, create and
rename one, put members in or take them out, and what each group may book
(the vehicles open to it, its tariffs and its booking rules)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.accounts.models import Membership, ParameterValue, UserGroup
from flotte.accounts.organisations import group_create, group_update, membership_set_group
from flotte.accounts.parameters import Level, ParamContext, registry
from flotte.core.errors import ServiceError
from flotte.fleet.models import Vehicle
from flotte.pricing.models import Tariff
from flotte.web.errors import add_to_form
from flotte.web.manage_forms_people import GroupForm, GroupMemberForm
from flotte.web.views.manage import Console, manager_page, refusal_status


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or _("(any)")
    return str(value)


def _groups(console: Console) -> QuerySet[UserGroup]:
    return UserGroup.objects.filter(organisation=console.organisation)


def _group(console: Console, group_id: int) -> UserGroup:
    group = _groups(console).filter(pk=group_id).first()
    if group is None:
        raise Http404
    return group


def _memberships(console: Console) -> QuerySet[Membership]:
    """Places in the communities this manager manages."""
    return Membership.objects.filter(community_id__in=console.community_ids).select_related(
        "user", "community", "group"
    )


@manager_page
def groups(request: HttpRequest, console: Console) -> HttpResponse:
    """The groups with their number of members; POST creates one."""
    form = GroupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                group = group_create(
                    actor=console.user,
                    organisation=console.organisation,
                    name=form.cleaned_data["name"],
                    private_use_allowed=form.cleaned_data["private_use_allowed"],
                )
            except ServiceError as error:
                add_to_form(form, error)
                status = refusal_status(error)
            else:
                messages.success(request, _("Group %(name)s created.") % {"name": group.name})
                return redirect("web:manage_group", console.organisation.pk, group.pk)
    rows = _groups(console).annotate(
        members=Count(
            "memberships",
            filter=Q(memberships__community_id__in=console.community_ids),
            distinct=True,
        )
    )
    return render(
        request,
        "web/manage/groups.html",
        console.context(section="groups", groups=rows.order_by("name"), form=form),
        status=status,
    )


def _rules(console: Console, group: UserGroup) -> list[dict[str, Any]]:
    """Every parameter a group may have, the value in force for the group
    (outside any one community) and whether it is set for this group."""
    own = {
        row.key: row.value
        for row in ParameterValue.objects.filter(
            organisation=console.organisation, level=Level.GROUP, group=group
        )
    }
    keys = sorted(key for key, p in registry().items() if Level.GROUP in p.levels)
    values = ParamContext(console.organisation, None, group).values(*keys)
    base = reverse("web:manage_parameters", args=[console.organisation.pk])
    return [
        {
            "key": key,
            "value": _shown(values[key]),
            "own": key in own,
            "url": f"{base}?q={key}#{key}",
        }
        for key in keys
    ]


def _render_group(
    request: HttpRequest,
    console: Console,
    group: UserGroup,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    memberships = _memberships(console)
    vehicles = (
        Vehicle.objects.filter(organisation=console.organisation)
        .filter(Q(allowed_groups=None) | Q(allowed_groups=group))
        .select_related("home_station")
        .prefetch_related("allowed_groups")
        .distinct()
        .order_by("plate")
    )
    return render(
        request,
        "web/manage/group.html",
        console.context(
            section="groups",
            group=group,
            members=memberships.filter(group=group).order_by("user__email", "community__name"),
            rename_form=forms.get("rename_form")
            or GroupForm(
                initial={"name": group.name, "private_use_allowed": group.private_use_allowed}
            ),
            member_form=forms.get("member_form")
            or GroupMemberForm(memberships=memberships.exclude(group=group)),
            vehicles=[{"vehicle": v, "only_some": bool(v.allowed_groups.all())} for v in vehicles],
            tariffs=Tariff.objects.filter(group=group).select_related("community"),
            rules=_rules(console, group),
            error=forms.get("error", ""),
        ),
        status=status,
    )


@manager_page
def group_view(request: HttpRequest, console: Console, group_id: int) -> HttpResponse:
    """The group; POST renames it or changes its private use."""
    group = _group(console, group_id)
    if request.method != "POST":
        return _render_group(request, console, group)
    form = GroupForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            group_update(
                actor=console.user,
                group=group,
                name=form.cleaned_data["name"],
                private_use_allowed=form.cleaned_data["private_use_allowed"],
            )
        except ServiceError as error:
            add_to_form(form, error)
            status = refusal_status(error)
        else:
            messages.success(request, _("Group saved."))
            return redirect("web:manage_group", console.organisation.pk, group.pk)
    # What the page shows comes from the database, not the refused change.
    return _render_group(
        request, console, _group(console, group_id), status=status, rename_form=form
    )


@require_POST
@manager_page
def group_member_add(request: HttpRequest, console: Console, group_id: int) -> HttpResponse:
    group = _group(console, group_id)
    form = GroupMemberForm(request.POST, memberships=_memberships(console))
    status = 400
    if form.is_valid():
        membership = form.cleaned_data["membership"]
        try:
            membership_set_group(actor=console.user, membership=membership, group=group)
        except ServiceError as error:
            add_to_form(form, error)
            status = refusal_status(error)
        else:
            messages.success(
                request,
                _("%(email)s is now in the group %(group)s.")
                % {"email": membership.user.email, "group": group.name},
            )
            return redirect("web:manage_group", console.organisation.pk, group.pk)
    return _render_group(request, console, group, status=status, member_form=form)


@require_POST
@manager_page
def group_member_remove(
    request: HttpRequest, console: Console, group_id: int, membership_id: int
) -> HttpResponse:
    """Take a member out of the group: no group in that community."""
    group = _group(console, group_id)
    membership = _memberships(console).filter(pk=membership_id, group=group).first()
    if membership is None:
        raise Http404
    try:
        membership_set_group(actor=console.user, membership=membership, group=None)
    except ServiceError as error:
        return _render_group(
            request, console, group, status=refusal_status(error), error=error.message
        )
    messages.success(
        request,
        _("%(email)s is no longer in the group %(group)s.")
        % {"email": membership.user.email, "group": group.name},
    )
    return redirect("web:manage_group", console.organisation.pk, group.pk)
