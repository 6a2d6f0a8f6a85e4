"""The password-change page is the studio's own: its fields drawn as every other form's
(label, control, help and errors in one .field), not Django's bare default."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_password_change_page_draws_its_fields_as_the_studio_does(owner_client):
    page = owner_client.get("/accounts/password_change/").content.decode()
    assert page.count('<div class="field') == 3
    for label in ["Current password", "New password", "New password again"]:
        assert re.search(rf"<label for=\"id_\w+\">{label}</label>", page)
    assert "Old password:" not in page and "<ul><li>" not in page
    # Every described control names help that is on the page.
    for described in re.findall(r'aria-describedby="([^"]+)"', page):
        assert f'id="{described}"' in page


def test_a_wrong_current_password_is_said_next_to_its_field(owner_client):
    answer = owner_client.post(
        "/accounts/password_change/",
        {"old_password": "nope", "new_password1": "a-new-pass-1", "new_password2": "a-new-pass-1"},
    )
    page = answer.content.decode()
    assert answer.status_code == 200
    assert re.search(r'<div class="field has-error">\s*<label for="id_old_password">', page)
    assert 'class="field-error" role="alert"' in page
