"""Hand edits in the Django admin reach the cached public reads at once."""

import pytest
from django import forms

from tests.competitions.conftest import create_published
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the cache is dropped on commit


def change_form_data(response) -> dict:
    """What the admin change form would post back unchanged: the main form and every inline formset."""
    data = {}
    every = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
        every.extend(formset.forms)
    for form in every:
        for name, field in form.fields.items():
            value = form[name].value()  # as the page renders it (JSON fields as JSON text)
            if value is None or isinstance(field, forms.FileField):  # a browser posts no file back
                continue
            data[form.add_prefix(name)] = value
    return data


def test_an_admin_edit_of_a_tournament_shows_in_the_cached_reads(api, client, host, games_catalog):
    tournament = create_published(api, host)
    path = f"/api/tournaments/{tournament['id']}"
    assert api.get(path).json()["title"] == tournament["title"]  # now cached

    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = f"/admin/competitions/tournament/{tournament['id']}/change/"
    data = change_form_data(client.get(change))
    data.update({"title": "Renamed by staff", "starts_at_0": tournament["starts_at"][:10]})
    data["starts_at_1"] = tournament["starts_at"][11:19]
    del data["starts_at"]
    saved = client.post(change, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved.content

    assert api.get(path).json()["title"] == "Renamed by staff"
    listed = api.get("/api/tournaments").json()["items"]
    assert [t["title"] for t in listed if t["id"] == tournament["id"]] == ["Renamed by staff"]


def test_the_admin_refuses_a_tournament_the_api_would_refuse(api, client, host, games_catalog):
    """A malformed points table typed into the admin is a form error, not a 500 on the public pages."""
    tournament = create_published(api, host)
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = f"/admin/competitions/tournament/{tournament['id']}/change/"
    data = change_form_data(client.get(change))
    data.update({"points_table": "1", "starts_at_0": tournament["starts_at"][:10]})
    data["starts_at_1"] = tournament["starts_at"][11:19]
    del data["starts_at"]
    refused = client.post(change, data)
    assert refused.status_code == 200  # the form again, with the error
    assert "points_table" in refused.context["adminform"].form.errors
    shown = api.get(f"/api/tournaments/{tournament['id']}")
    assert shown.status_code == 200
    assert shown.json()["points_table"] == tournament["points_table"]
