from django.contrib.auth import views as auth_views
from django.urls import path

from flotte.web.forms import EmailLoginForm
from flotte.web.views import accounts as views
from flotte.web.views import (
    carpool,
    manage,
    manage_audit,
    manage_fleet,
    manage_groups,
    manage_incidents,
    manage_inspections,
    manage_invoices,
    manage_mailings,
    manage_members,
    manage_params,
    manage_payouts,
    manage_planning,
    manage_stats,
    manage_tariffs,
    manage_vehicle,
    member,
    member_billing,
    member_inspections,
    profile,
    pwa,
    trip,
)

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", authentication_form=EmailLoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("c/<slug:slug>/", views.community, name="community"),
    path("c/<slug:slug>/signup/", views.signup, name="signup"),
    path("c/<slug:slug>/verify/<str:token>/", views.verify, name="verify"),
    path("c/<slug:slug>/join/", views.join, name="join"),
    # The member app
    path("c/<slug:slug>/book/", member.search, name="search"),
    path("c/<slug:slug>/book/confirm/", member.book, name="book"),
    path("c/<slug:slug>/bookings/", member.bookings, name="bookings"),
    path("c/<slug:slug>/trip/", trip.trip, name="trip"),
    path("c/<slug:slug>/bookings/<int:booking_id>/", member.booking_detail, name="booking"),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/change/",
        member.booking_change_view,
        name="booking_change",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/cancel/",
        member.booking_cancel_view,
        name="booking_cancel",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/commands/",
        trip.command_send,
        name="command_send",
    ),
    path("c/<slug:slug>/commands/<uuid:command_id>/", trip.command_state, name="command"),
    path("c/<slug:slug>/bookings/<int:booking_id>/key/", trip.key, name="key"),
    path("c/<slug:slug>/bookings/<int:booking_id>/end/", trip.trip_end, name="trip_end"),
    # Carpooling
    path("c/<slug:slug>/carpool/", carpool.carpool, name="carpool"),
    path(
        "c/<slug:slug>/carpool/bookings/<int:booking_id>/offer/",
        carpool.offer_new,
        name="carpool_offer_new",
    ),
    path(
        "c/<slug:slug>/carpool/offers/<int:offer_id>/", carpool.offer_detail, name="carpool_offer"
    ),
    path("c/<slug:slug>/carpool/offers/<int:offer_id>/ask/", carpool.ask, name="carpool_ask"),
    path(
        "c/<slug:slug>/carpool/offers/<int:offer_id>/cancel/",
        carpool.offer_cancel,
        name="carpool_offer_cancel",
    ),
    path(
        "c/<slug:slug>/carpool/requests/<int:request_id>/accept/",
        carpool.request_accept,
        name="carpool_accept",
    ),
    path(
        "c/<slug:slug>/carpool/requests/<int:request_id>/decline/",
        carpool.request_decline,
        name="carpool_decline",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/inspection/<str:kind>/",
        member_inspections.inspection_page,
        name="inspection",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/inspection/<str:kind>/photos/",
        member_inspections.inspection_photos,
        name="inspection_photos",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/inspection/<str:kind>/marks/",
        member_inspections.inspection_mark_add,
        name="inspection_mark_add",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/inspection/<str:kind>/marks/<int:index>/remove/",
        member_inspections.inspection_mark_remove,
        name="inspection_mark_remove",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/inspection/<str:kind>/submit/",
        member_inspections.inspection_submit_view,
        name="inspection_submit",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/incidents/new/",
        member_inspections.incident_new,
        name="incident_new",
    ),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/incidents/<int:incident_id>/photos/",
        member_inspections.incident_photo,
        name="incident_photo",
    ),
    path(
        "photos/inspections/<int:inspection_id>/<int:photo_id>.jpg",
        member_inspections.inspection_photo_file,
        name="inspection_photo_file",
    ),
    path(
        "photos/incidents/<int:incident_id>/<int:photo_id>.jpg",
        member_inspections.incident_photo_file,
        name="incident_photo_file",
    ),
    # The member's invoices, card and payments; the profile's parts
    path("c/<slug:slug>/invoices/", member_billing.invoices, name="invoices"),
    path(
        "c/<slug:slug>/invoices/<int:invoice_id>.pdf",
        member_billing.invoice_download,
        name="invoice_pdf",
    ),
    path(
        "c/<slug:slug>/invoices/<int:invoice_id>/pay/",
        member_billing.invoice_pay,
        name="invoice_pay",
    ),
    path("c/<slug:slug>/payment/", member_billing.payment_method, name="payment_method"),
    path("c/<slug:slug>/payment/setup/", member_billing.card_setup, name="card_setup"),
    path("c/<slug:slug>/payment/refresh/", member_billing.card_refresh, name="card_refresh"),
    path(
        "c/<slug:slug>/bookings/<int:booking_id>/private-mode/",
        profile.private_mode,
        name="private_mode",
    ),
    path("profile/notifications/", profile.notifications, name="profile_notifications"),
    path("profile/language/", profile.language, name="profile_language"),
    path("profile/devices/", profile.push_device_add, name="profile_push_device_add"),
    path(
        "profile/devices/<int:subscription_id>/remove/",
        profile.push_device_remove,
        name="profile_push_device_remove",
    ),
    path("profile/export.json", profile.data_export, name="profile_export"),
    path("profile/erase/", profile.erase, name="profile_erase"),
    # The manager console
    path("manage/", manage.choose, name="manage"),
    path("manage/<int:org_id>/", manage.dashboard_view, name="manage_dashboard"),
    path("manage/<int:org_id>/planning/", manage_planning.planning, name="manage_planning"),
    path(
        "manage/<int:org_id>/bookings/<int:booking_id>/",
        manage_planning.booking_view,
        name="manage_booking",
    ),
    path(
        "manage/<int:org_id>/bookings/<int:booking_id>/change/",
        manage_planning.booking_change_view,
        name="manage_booking_change",
    ),
    path(
        "manage/<int:org_id>/bookings/<int:booking_id>/transfer/",
        manage_planning.booking_transfer_view,
        name="manage_booking_transfer",
    ),
    path(
        "manage/<int:org_id>/bookings/<int:booking_id>/cancel/",
        manage_planning.booking_cancel_view,
        name="manage_booking_cancel",
    ),
    path("manage/<int:org_id>/members/", manage_members.members, name="manage_members"),
    path("manage/<int:org_id>/members/<int:user_id>/", manage_members.member, name="manage_member"),
    path(
        "manage/<int:org_id>/members/<int:user_id>/documents/<str:kind>/",
        manage_members.member_document,
        name="manage_member_document",
    ),
    path(
        "manage/<int:org_id>/members/<int:user_id>/validate/",
        manage_members.member_validate,
        name="manage_member_validate",
    ),
    path(
        "manage/<int:org_id>/members/<int:user_id>/reject/",
        manage_members.member_reject,
        name="manage_member_reject",
    ),
    path(
        "manage/<int:org_id>/members/<int:user_id>/suspend/",
        manage_members.member_suspend_view,
        name="manage_member_suspend",
    ),
    path(
        "manage/<int:org_id>/suspensions/<int:suspension_id>/lift/",
        manage_members.suspension_lift_view,
        name="manage_suspension_lift",
    ),
    path("manage/<int:org_id>/fleet/", manage_fleet.fleet, name="manage_fleet"),
    path(
        "manage/<int:org_id>/fleet/stations/new/",
        manage_fleet.station_new,
        name="manage_station_new",
    ),
    path(
        "manage/<int:org_id>/fleet/stations/<int:station_id>/edit/",
        manage_fleet.station_edit,
        name="manage_station_edit",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/new/",
        manage_vehicle.vehicle_new,
        name="manage_vehicle_new",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/edit/",
        manage_vehicle.vehicle_edit,
        name="manage_vehicle_edit",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/status/",
        manage_vehicle.vehicle_status,
        name="manage_vehicle_status",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/incidents/new/",
        manage_vehicle.vehicle_incident,
        name="manage_vehicle_incident",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/box/fit/",
        manage_vehicle.vehicle_box_fit,
        name="manage_vehicle_box_fit",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/box/remove/",
        manage_vehicle.vehicle_box_remove,
        name="manage_vehicle_box_remove",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/",
        manage_vehicle.vehicle_view,
        name="manage_vehicle",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/commands/",
        manage_vehicle.vehicle_command,
        name="manage_vehicle_command",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/transfer/",
        manage_vehicle.vehicle_transfer,
        name="manage_vehicle_transfer",
    ),
    path(
        "manage/<int:org_id>/fleet/vehicles/<int:vehicle_id>/damage/",
        manage_inspections.vehicle_damage,
        name="manage_vehicle_damage",
    ),
    path("manage/<int:org_id>/groups/", manage_groups.groups, name="manage_groups"),
    path(
        "manage/<int:org_id>/groups/<int:group_id>/",
        manage_groups.group_view,
        name="manage_group",
    ),
    path(
        "manage/<int:org_id>/groups/<int:group_id>/members/",
        manage_groups.group_member_add,
        name="manage_group_member_add",
    ),
    path(
        "manage/<int:org_id>/groups/<int:group_id>/members/<int:membership_id>/remove/",
        manage_groups.group_member_remove,
        name="manage_group_member_remove",
    ),
    path(
        "manage/<int:org_id>/members/<int:user_id>/badges/",
        manage_members.member_badge_issue,
        name="manage_member_badge",
    ),
    path(
        "manage/<int:org_id>/badges/<int:badge_id>/revoke/",
        manage_members.badge_revoke,
        name="manage_badge_revoke",
    ),
    path(
        "manage/<int:org_id>/inspections/",
        manage_inspections.inspections,
        name="manage_inspections",
    ),
    path(
        "manage/<int:org_id>/inspections/<int:inspection_id>/",
        manage_inspections.inspection_view,
        name="manage_inspection",
    ),
    path(
        "manage/<int:org_id>/inspections/<int:inspection_id>/photos/<int:photo_id>/",
        manage_inspections.inspection_photo,
        name="manage_inspection_photo",
    ),
    path(
        "manage/<int:org_id>/inspections/<int:inspection_id>/charge/",
        manage_inspections.inspection_charge,
        name="manage_inspection_charge",
    ),
    path("manage/<int:org_id>/incidents/", manage_incidents.incidents, name="manage_incidents"),
    path(
        "manage/<int:org_id>/incidents/<int:incident_id>/",
        manage_incidents.incident_view,
        name="manage_incident",
    ),
    path(
        "manage/<int:org_id>/incidents/<int:incident_id>/photos/<int:photo_id>/",
        manage_incidents.incident_photo,
        name="manage_incident_photo",
    ),
    path(
        "manage/<int:org_id>/incidents/<int:incident_id>/acknowledge/",
        manage_incidents.incident_acknowledge_view,
        name="manage_incident_acknowledge",
    ),
    path(
        "manage/<int:org_id>/incidents/<int:incident_id>/resolve/",
        manage_incidents.incident_resolve_view,
        name="manage_incident_resolve",
    ),
    path(
        "manage/<int:org_id>/incidents/<int:incident_id>/charge/",
        manage_incidents.incident_charge,
        name="manage_incident_charge",
    ),
    path("manage/<int:org_id>/invoices/", manage_invoices.invoices, name="manage_invoices"),
    path(
        "manage/<int:org_id>/invoices/<int:invoice_id>/",
        manage_invoices.invoice_view,
        name="manage_invoice",
    ),
    path(
        "manage/<int:org_id>/invoices/<int:invoice_id>/lines/",
        manage_invoices.invoice_line,
        name="manage_invoice_line",
    ),
    path(
        "manage/<int:org_id>/invoices/<int:invoice_id>/validate/",
        manage_invoices.invoice_validate_view,
        name="manage_invoice_validate",
    ),
    path(
        "manage/<int:org_id>/invoices/<int:invoice_id>/credit-note/",
        manage_invoices.credit_note,
        name="manage_credit_note",
    ),
    path("manage/<int:org_id>/payouts/", manage_payouts.payouts, name="manage_payouts"),
    path(
        "manage/<int:org_id>/payouts/<int:statement_id>.<str:fmt>",
        manage_payouts.payout_file,
        name="manage_payout_file",
    ),
    path("manage/<int:org_id>/tariffs/", manage_tariffs.tariffs, name="manage_tariffs"),
    path(
        "manage/<int:org_id>/tariffs/<int:tariff_id>/end/",
        manage_tariffs.tariff_end_view,
        name="manage_tariff_end",
    ),
    path("manage/<int:org_id>/audit/", manage_audit.audit_log, name="manage_audit"),
    path("manage/<int:org_id>/mailings/", manage_mailings.mailings, name="manage_mailings"),
    path(
        "manage/<int:org_id>/mailings/<int:mailing_id>/",
        manage_mailings.mailing_view,
        name="manage_mailing",
    ),
    path(
        "manage/<int:org_id>/mailings/<int:mailing_id>/send/",
        manage_mailings.mailing_send_view,
        name="manage_mailing_send",
    ),
    path("manage/<int:org_id>/statistics/", manage_stats.statistics, name="manage_statistics"),
    path(
        "manage/<int:org_id>/statistics/export.zip",
        manage_stats.statistics_export,
        name="manage_statistics_export",
    ),
    path(
        "manage/<int:org_id>/statistics/<str:table>.csv",
        manage_stats.statistics_csv,
        name="manage_statistics_csv",
    ),
    path("manage/<int:org_id>/parameters/", manage_params.parameters, name="manage_parameters"),
    path(
        "manage/<int:org_id>/parameters/<str:key>/",
        manage_params.parameter_update,
        name="manage_parameter",
    ),
    path(
        "manage/<int:org_id>/parameters/<str:key>/preview/",
        manage_params.parameter_preview,
        name="manage_parameter_preview",
    ),
    # Installable app
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("c/<slug:slug>/manifest.webmanifest", pwa.manifest, name="community_manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
]
