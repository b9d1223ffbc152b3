"""Background tasks of accounts: thin wrappers that take ids."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from flotte.core.tasks import task


@task("accounts.send_verification_email")
def send_verification_email(user_id: int, community_id: int) -> None:
    from flotte.accounts.models import Community, User
    from flotte.accounts.signup import verification_token

    user = User.objects.get(pk=user_id)
    community = Community.objects.get(pk=community_id)
    link = settings.PUBLIC_URL + reverse(
        "web:verify", kwargs={"slug": community.slug, "token": verification_token(user, community)}
    )
    with translation.override(user.language):
        send_mail(
            _("Confirm your e-mail address for %(community)s") % {"community": community.name},
            _(
                "Hello,\n\nOpen this link to confirm your address and join %(community)s:\n"
                "%(link)s\n"
            )
            % {"community": community.name, "link": link},
            None,
            [user.email],
        )


@task("accounts.send_invitation_email")
def send_invitation_email(invitation_id: int) -> None:
    from flotte.accounts.models import Invitation
    from flotte.accounts.signup import invitation_token

    invitation = Invitation.objects.select_related("community").get(pk=invitation_id)
    community = invitation.community
    link = settings.PUBLIC_URL + reverse(
        "web:invitation", kwargs={"token": invitation_token(invitation)}
    )
    send_mail(
        _("You are invited to %(community)s") % {"community": community.name},
        _("Hello,\n\nYou are invited to join the shared cars of %(community)s:\n%(link)s\n")
        % {"community": community.name, "link": link},
        None,
        [invitation.email],
    )


@task("accounts.licence_expiry_sweep", every=dt.timedelta(hours=1))
def licence_expiry_sweep() -> int:
    from flotte.accounts.drivers import licence_expiry_sweep as sweep

    return sweep()


@task("accounts.send_account_exists_email")
def send_account_exists_email(user_id: int, community_id: int) -> None:
    """Someone signed up with an address that has a verified account: tell
    its owner how to join instead (the sign-up form answers the same way)."""
    from flotte.accounts.models import Community, User

    user = User.objects.get(pk=user_id)
    community = Community.objects.get(pk=community_id)
    link = settings.PUBLIC_URL + reverse("web:community", kwargs={"slug": community.slug})
    with translation.override(user.language):
        send_mail(
            _("Your account for %(community)s") % {"community": community.name},
            _(
                "Hello,\n\nSomeone, probably you, tried to sign up to %(community)s with this "
                "address, which already has an account. Log in and join the community here:\n"
                "%(link)s\n\nIf it was not you, you can ignore this e-mail.\n"
            )
            % {"community": community.name, "link": link},
            None,
            [user.email],
        )
